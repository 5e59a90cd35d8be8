#pragma once
// libjpeg's coefficient API (jpeg_read_coefficients / jpeg_write_coefficients) for lossless JPEG edits.
// libjpeg reports errors by calling error_exit, which must not return; Swift cannot longjmp, so every
// call that may fail is wrapped here in a function that sets its own setjmp point and returns 0 on error
// (the one-line message is in pw_jpeg_error.message). Warnings (corrupt data, premature end) are errors
// too, as in the TurboJPEG reader (TJFLAG_STOPONWARNING).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>

typedef struct pw_jpeg_error {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} pw_jpeg_error;

static void pw_jpeg_error_exit(j_common_ptr cinfo) {
    pw_jpeg_error *err = (pw_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

static void pw_jpeg_emit_message(j_common_ptr cinfo, int level) {
    if (level < 0) pw_jpeg_error_exit(cinfo);  // a warning: the data are damaged
}

static inline void pw_jpeg_init_error(pw_jpeg_error *err) {
    memset(err, 0, sizeof(*err));
    jpeg_std_error(&err->pub);
    err->pub.error_exit = pw_jpeg_error_exit;
    err->pub.emit_message = pw_jpeg_emit_message;
}

/// Creates the decompressor, points it at `data`, saves every APPn and COM marker, reads the header and
/// all coefficients. Returns the component coefficient arrays, or NULL (message in err).
static inline jvirt_barray_ptr *pw_jpeg_read_coefficients(j_decompress_ptr cinfo, pw_jpeg_error *err,
                                                          const unsigned char *data, unsigned long size) {
    if (setjmp(err->jump)) return NULL;
    jpeg_mem_src(cinfo, data, size);
    jpeg_save_markers(cinfo, JPEG_COM, 0xFFFF);
    for (int m = 0; m < 16; m++) jpeg_save_markers(cinfo, JPEG_APP0 + m, 0xFFFF);
    if (jpeg_read_header(cinfo, TRUE) != JPEG_HEADER_OK) {
        strcpy(err->message, "no image in the file");
        return NULL;
    }
    return jpeg_read_coefficients(cinfo);
}

/// Reads only the header of `data`, saving every APPn and COM marker. Returns 0 on error (message in err).
static inline int pw_jpeg_read_markers(j_decompress_ptr cinfo, pw_jpeg_error *err,
                                       const unsigned char *data, unsigned long size) {
    if (setjmp(err->jump)) return 0;
    jpeg_mem_src(cinfo, data, size);
    jpeg_save_markers(cinfo, JPEG_COM, 0xFFFF);
    for (int m = 0; m < 16; m++) jpeg_save_markers(cinfo, JPEG_APP0 + m, 0xFFFF);
    if (jpeg_read_header(cinfo, TRUE) != JPEG_HEADER_OK) {
        strcpy(err->message, "no image in the file");
        return 0;
    }
    return 1;
}

/// The ICC profile of the saved APP2 markers, reassembled by libjpeg (malloc'ed, NULL when none or bad).
static inline JOCTET *pw_jpeg_icc_profile(j_decompress_ptr cinfo, pw_jpeg_error *err, unsigned int *length) {
    JOCTET *profile = NULL;
    *length = 0;
    if (setjmp(err->jump)) return NULL;
    if (!jpeg_read_icc_profile(cinfo, &profile, length)) return NULL;
    return profile;
}

static inline int pw_jpeg_create_decompress(j_decompress_ptr cinfo, pw_jpeg_error *err) {
    cinfo->err = &err->pub;
    if (setjmp(err->jump)) return 0;
    jpeg_create_decompress(cinfo);
    return 1;
}

static inline int pw_jpeg_create_compress(j_compress_ptr cinfo, pw_jpeg_error *err) {
    cinfo->err = &err->pub;
    if (setjmp(err->jump)) return 0;
    jpeg_create_compress(cinfo);
    return 1;
}

/// One row of blocks of a coefficient array (NULL on error).
static inline JBLOCKROW pw_jpeg_block_row(j_common_ptr cinfo, pw_jpeg_error *err, jvirt_barray_ptr array,
                                          JDIMENSION row, int writable) {
    if (setjmp(err->jump)) return NULL;
    JBLOCKARRAY rows = (*cinfo->mem->access_virt_barray)(cinfo, array, row, 1, writable ? TRUE : FALSE);
    return rows[0];
}

static inline int pw_jpeg_huff_equal(const JHUFF_TBL *a, const JHUFF_TBL *b) {
    if (a == NULL || b == NULL) return a == b;
    if (memcmp(a->bits, b->bits, sizeof(a->bits)) != 0) return 0;
    int count = 0;
    for (int i = 1; i <= 16; i++) count += a->bits[i];
    if (count > 256) return 0;
    return memcmp(a->huffval, b->huffval, (size_t)count) == 0;
}

/// Whether the source's Huffman tables, as its components use them, are the standard ones (JPEG Annex
/// K.3) that `dst` (after jpeg_copy_critical_parameters) would write by default.
static inline int pw_jpeg_uses_standard_huffman(j_decompress_ptr src, j_compress_ptr dst) {
    for (int c = 0; c < src->num_components && c < dst->num_components; c++) {
        int sdc = src->comp_info[c].dc_tbl_no, sac = src->comp_info[c].ac_tbl_no;
        int ddc = dst->comp_info[c].dc_tbl_no, dac = dst->comp_info[c].ac_tbl_no;
        if (sdc < 0 || sdc >= NUM_HUFF_TBLS || sac < 0 || sac >= NUM_HUFF_TBLS) return 0;
        if (!pw_jpeg_huff_equal(src->dc_huff_tbl_ptrs[sdc], dst->dc_huff_tbl_ptrs[ddc])) return 0;
        if (!pw_jpeg_huff_equal(src->ac_huff_tbl_ptrs[sac], dst->ac_huff_tbl_ptrs[dac])) return 0;
    }
    return 1;
}

/// Writes `coefficients` (of `src`, possibly edited) to a malloc'ed buffer with the source's quantization
/// tables, sampling factors, colour space, mode (baseline, progressive, arithmetic), restart interval and
/// Huffman choice (standard tables when the source used them, optimized otherwise), then every saved APPn
/// and COM marker except the JFIF/Adobe headers libjpeg writes itself. Returns 0 on error.
static inline int pw_jpeg_write_coefficients(j_decompress_ptr src, j_compress_ptr dst, pw_jpeg_error *err,
                                             jvirt_barray_ptr *coefficients, int copy_markers,
                                             unsigned char **output, unsigned long *size) {
    if (setjmp(err->jump)) return 0;
    jpeg_mem_dest(dst, output, size);
    jpeg_copy_critical_parameters(src, dst);
    dst->restart_interval = src->restart_interval;
    // No JFIF header added to a file that had none (an EXIF file's APP1 stays right after SOI).
    if (!src->saw_JFIF_marker) dst->write_JFIF_header = FALSE;
    dst->arith_code = src->arith_code;
    if (src->progressive_mode) {
        jpeg_simple_progression(dst);
        dst->optimize_coding = TRUE;
    } else if (!src->arith_code) {
        dst->optimize_coding = pw_jpeg_uses_standard_huffman(src, dst) ? FALSE : TRUE;
    }
    jpeg_write_coefficients(dst, coefficients);
    for (jpeg_saved_marker_ptr m = copy_markers ? src->marker_list : NULL; m != NULL; m = m->next) {
        if (dst->write_JFIF_header && m->marker == JPEG_APP0 && m->data_length >= 5 &&
            memcmp(m->data, "JFIF\0", 5) == 0) continue;
        if (dst->write_Adobe_marker && m->marker == JPEG_APP0 + 14 && m->data_length >= 5 &&
            memcmp(m->data, "Adobe", 5) == 0) continue;
        jpeg_write_marker(dst, m->marker, m->data, m->data_length);
    }
    jpeg_finish_compress(dst);
    return 1;
}

static inline void pw_jpeg_destroy_decompress(j_decompress_ptr cinfo) { jpeg_destroy_decompress(cinfo); }
static inline void pw_jpeg_destroy_compress(j_compress_ptr cinfo) { jpeg_destroy_compress(cinfo); }
