/*
 * pixelwise.h — the C ABI of the Pixelwise library (libpixelwise.so).
 *
 * This header is the contract. Every function here is exported by the Swift library
 * (Sources/PixelwiseC) with @_cdecl; tests/c/abi_test.c compiles against this file and calls each one.
 *
 * Conventions
 * - Images are described by `pw_image`: a pointer to pixel (0, 0) channel 0, width, height, channels (1-4),
 *   the row stride in BYTES, and a sample type. Samples of one pixel are interleaved and pixels of a row are
 *   adjacent (pixel stride = channels × sample size); rows may be any positive multiple of the sample size apart
 *   (a numpy slice `img[100:900, 50:700]` is used in place). Inputs are read, never written.
 * - Outputs are memory the CALLER allocated and describes with a `pw_image` of the documented size and type;
 *   no ownership crosses the ABI except through the handles below (`pw_bytes`, `pw_scan`, `pw_buffer`), which
 *   the caller frees with their `_free` function.
 * - Every function that can fail returns a `pw_status` and takes `char *error, size_t error_size` last:
 *   on failure it writes a one-line, NUL-terminated message naming the argument or file at fault (truncated
 *   to error_size; error may be NULL). Nothing aborts on bad input; outputs are untouched when a function fails
 *   during argument checking, and may be partly written only when it fails during the computation itself.
 * - Coordinates are x (column) then y (row), origin top-left. Sizes are int64_t.
 * - Every function is thread-safe: calls from several threads at once are allowed; the library spreads each
 *   call over its own worker threads (see pw_set_threads), shared between concurrent calls.
 */
#ifndef PIXELWISE_H
#define PIXELWISE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status codes ---------------------------------------------------------------------------------------- */
typedef int32_t pw_status;
#define PW_OK 0
#define PW_ERROR_VALUE 1      /* a bad argument value (Python: ValueError) */
#define PW_ERROR_TYPE 2       /* a bad sample type, shape or layout (Python: TypeError) */
#define PW_ERROR_NOT_FOUND 3  /* a file that does not exist (Python: FileNotFoundError) */
#define PW_ERROR_IO 4         /* a file that cannot be read or written, or is damaged (Python: OSError) */
#define PW_ERROR_MEMORY 5     /* more memory needed than allowed or available (Python: MemoryError) */
#define PW_ERROR_INTERNAL 6   /* a bug: please report it (Python: pixelwise.Error) */

/* ---- Sample types ---------------------------------------------------------------------------------------- */
#define PW_UINT8 0
#define PW_UINT16 1
#define PW_FLOAT32 2
#define PW_FLOAT64 3

/* An image or a view of one. `data` points at pixel (0, 0), channel 0. */
typedef struct pw_image {
    void *data;
    int64_t width;
    int64_t height;
    int64_t channels;    /* 1 to 4 */
    int64_t row_stride;  /* bytes from the start of one row to the next, >= width × channels × sample size */
    int32_t sample_type; /* PW_UINT8, PW_UINT16, PW_FLOAT32 or PW_FLOAT64 */
} pw_image;

/* A byte string the library allocated (JSON reports, state bytes). */
typedef struct pw_bytes pw_bytes;
/* First byte (valid until pw_bytes_free). */
const uint8_t *pw_bytes_data(const pw_bytes *bytes);
/* Number of bytes (no terminating NUL counted; one is present after the last byte). */
int64_t pw_bytes_size(const pw_bytes *bytes);
/* Frees it; NULL is allowed. */
void pw_bytes_free(pw_bytes *bytes);

/* ---- Library ----------------------------------------------------------------------------------------------- */
/* The library's version, e.g. "0.5.0". Static storage. */
const char *pw_version(void);
/* The ABI version of this header: 1. A caller checks it before any other call. */
int32_t pw_abi_version(void);
/* Worker threads per call: n >= 1 sets it, 0 restores the default (all cores, or PIXELWISE_THREADS).
 * A negative n is a PW_ERROR_VALUE. */
pw_status pw_set_threads(int64_t n, char *error, size_t error_size);
/* The current number of worker threads per call. */
int64_t pw_get_threads(void);

/* ---- Files ------------------------------------------------------------------------------------------------- */
/* Decoded pixels owned by the library; `image` (filled by pw_read) stays valid until pw_buffer_free. */
typedef struct pw_buffer pw_buffer;
void pw_buffer_free(pw_buffer *buffer);

/* Reads an image file (PNG, JPEG, TIFF, NPY, PGM/PPM, camera RAW: recognised from its leading bytes).
 * `page` selects the page of a multi-page TIFF (0 for the first; a page past the last is a PW_ERROR_IO naming
 * the page count; other formats have page 0 only).
 * `max_pixels` refuses a header declaring more pixels before anything is allocated (0: the default, 2^31).
 * On success *buffer owns the pixels and *image describes them (C-contiguous rows). */
pw_status pw_read(const char *path, int64_t page, int64_t max_pixels, pw_buffer **buffer, pw_image *image,
                  char *error, size_t error_size);

/* Writes an image; the format comes from the extension (.png .jpg/.jpeg .tif/.tiff .npy .pgm/.ppm).
 * jpeg_quality 1-100 (0: default 95); png_level 0-9 (-1: default 1); tiff_compression "none", "lzw",
 * "deflate" or NULL (default deflate). Written to a temporary file beside the target and renamed: a failed
 * write leaves no partial file. */
pw_status pw_write(const char *path, const pw_image *image, int32_t jpeg_quality, int32_t png_level,
                   const char *tiff_compression, char *error, size_t error_size);

/* pw_write, carrying the metadata of the image file `like` (EXIF with GPS and orientation, XMP, ICC profile,
 * TIFF resolution and GeoTIFF/GDAL tags: whatever the target format can hold, docs/FORMATS.md), as the CLI does
 * for an output derived from one input. `offset_x`, `offset_y`: the output is the region of `like` whose
 * top-left pixel is there (the georeference moves with it); 0, 0 for a whole image. `like` NULL: pw_write. */
pw_status pw_write_like(const char *path, const pw_image *image, int32_t jpeg_quality, int32_t png_level,
                        const char *tiff_compression, const char *like, int64_t offset_x, int64_t offset_y,
                        char *error, size_t error_size);

/* ---- Sampling ---------------------------------------------------------------------------------------------- */
#define PW_POINTS_INT64 0
#define PW_POINTS_FLOAT64 1
#define PW_NEAREST 0
#define PW_BILINEAR 1

/* Values at `count` points (x, y interleaved, `points_type` PW_POINTS_INT64 or PW_POINTS_FLOAT64).
 * Nearest: output is count × channels samples of the image's type (fractional points round half up).
 * Bilinear: output is count × channels float64 (points must lie within 0..width-1 × 0..height-1).
 * A point outside the image or not finite is a PW_ERROR_VALUE naming its index; output is then untouched. */
pw_status pw_sample(const pw_image *image, const void *points, int32_t points_type, int64_t count,
                    int32_t interpolation, void *output, char *error, size_t error_size);

/* Copies the region (x, y, width, height) into `output` (same type and channels, width × height). */
pw_status pw_crop(const pw_image *image, int64_t x, int64_t y, int64_t width, int64_t height,
                  const pw_image *output, char *error, size_t error_size);

/* ---- Blur -------------------------------------------------------------------------------------------------- */
#define PW_KERNEL_BOX 0
#define PW_KERNEL_GAUSSIAN 1

#define PW_RADIUS_UNIFORM 0   /* `radius` everywhere */
#define PW_RADIUS_MAP 1       /* `map`: one channel, the image's width and height, any sample type */
#define PW_RADIUS_DISTANCE 2  /* min(per_pixel × distance to the nearest nonzero pixel of `mask`, max_radius) */

typedef struct pw_radius {
    int32_t kind;            /* PW_RADIUS_UNIFORM, PW_RADIUS_MAP or PW_RADIUS_DISTANCE */
    double radius;           /* UNIFORM: the radius (σ for the Gaussian), finite, >= 0 */
    pw_image map;            /* MAP */
    pw_image mask;           /* DISTANCE: nonzero pixels are the regions */
    double per_pixel;        /* DISTANCE: finite, >= 0 */
    double max_radius;       /* DISTANCE: >= 0, or +infinity for none */
} pw_radius;

/* Variable blur, exactly as `pixelwise blur`: box = the exact mean over the (2r+1)² window clipped to the
 * image (a fractional radius weights the outer ring); gaussian = a Gaussian of per-pixel σ truncated at 4σ and
 * renormalised inside the image. `output` has the image's width, height and channels; its sample type is
 * the result's (the image's own, or float32/float64): integer outputs are rounded and clamped. */
pw_status pw_blur(const pw_image *image, const pw_radius *radius, int32_t kernel, const pw_image *output,
                  char *error, size_t error_size);

/* Exact Euclidean distance of every pixel to the nearest nonzero pixel of `mask` (one channel, any type),
 * as float32 into `output` (width × height, one channel, PW_FLOAT32). A mask with no nonzero pixel is a
 * PW_ERROR_VALUE (every distance would be infinite). */
pw_status pw_distance_transform(const pw_image *mask, const pw_image *output, char *error, size_t error_size);

/* ---- Quantization ---------------------------------------------------------------------------------------- */
#define PW_WEIGHT_UNIQUE 0
#define PW_WEIGHT_PIXELS 1
#define PW_METHOD_OPTIMAL 0
#define PW_METHOD_LLOYD 1

/* The levels for channel `channel` of `image` by 1-D k-means: k >= 1 levels, or k == 0 for the best BIC in
 * k_min..k_max ("auto"). `centers` receives the sorted centres (capacity `centers_capacity`, which must be at
 * least k, or k_max for auto); *count the number written; *objective the clustering's sum of squared
 * distances (weighted as `weighting` says). Lloyd uses restarts, max_iterations and seed; optimal ignores them. */
pw_status pw_quantize_fit(const pw_image *image, int64_t channel, int64_t k, int64_t k_min, int64_t k_max,
                          int32_t weighting, int32_t method, int64_t restarts, int64_t max_iterations,
                          uint64_t seed, double *centers, int64_t centers_capacity, int64_t *count,
                          double *objective, char *error, size_t error_size);

/* The levels for already counted data, as pw_quantize_fit finds them for an image whose distinct values are
 * `values` (n >= 1 of them, finite, strictly increasing) each held by `weights[i]` pixels (positive, finite):
 * weights NULL is the unique weighting (every value weighs 1), weights given the pixels weighting. For data
 * too large for one call (a dask array's distinct values and counts, merged chunk by chunk): the same
 * centres and objective as pw_quantize_fit on the whole image. Other arguments as pw_quantize_fit's. */
pw_status pw_quantize_fit_values(const double *values, const double *weights, int64_t n, int64_t k, int64_t k_min,
                                 int64_t k_max, int32_t method, int64_t restarts, int64_t max_iterations,
                                 uint64_t seed, double *centers, int64_t centers_capacity, int64_t *count,
                                 double *objective, char *error, size_t error_size);

/* Labels (nearest centre, ties to the lower) and quantized values of channel `channel`, in one pass.
 * `centers`: `count` finite, distinct values, in any order (sorted here: label t is the t-th smallest centre). `labels` (may be NULL): width × height, one channel,
 * PW_UINT8 when count <= 256 else PW_UINT16. `values` (may be NULL): width × height, one channel, the image's
 * sample type (centres rounded) or PW_FLOAT64 (exact centres). */
pw_status pw_quantize_assign(const pw_image *image, int64_t channel, const double *centers, int64_t count,
                             const pw_image *labels, const pw_image *values, char *error, size_t error_size);

/* ---- Hot pixels -------------------------------------------------------------------------------------------- */
#define PW_CFA_NONE 0
#define PW_CFA_RGGB 1
#define PW_CFA_BGGR 2
#define PW_CFA_GRBG 3
#define PW_CFA_GBRG 4
#define PW_HOTPIXELS_RESIDUAL 0
#define PW_HOTPIXELS_VARIANCE 1

/* A hot-pixel scan's running statistics. */
typedef struct pw_scan pw_scan;

/* A new, empty scan. width/height/channels 0 mean "from the first frame added"; the sample type is always
 * taken from the first frame. */
pw_status pw_scan_new(int64_t width, int64_t height, int64_t channels, int32_t cfa, int32_t method,
                      pw_scan **scan, char *error, size_t error_size);
void pw_scan_free(pw_scan *scan);
/* Frames accumulated so far. */
int64_t pw_scan_frames(const pw_scan *scan);
/* The scan's geometry so far (0s and sample type -1 before the first frame). */
void pw_scan_geometry(const pw_scan *scan, int64_t *width, int64_t *height, int64_t *channels,
                      int32_t *sample_type, int32_t *cfa, int32_t *method);

/* Adds one frame (its size, channels and sample type must match the scan's). Not to be called on the same
 * scan from two threads at once. */
pw_status pw_scan_add(pw_scan *scan, const pw_image *frame, char *error, size_t error_size);

/* Decodes `count` files on every core and adds them (the CLI's scan pipeline). Files that cannot be read or
 * do not match are skipped; *skipped_json (may be NULL) receives `[{"path": ..., "reason": ...}, ...]`.
 * `max_pixels` as in pw_read. Fails only if no file could be added and the scan was empty. */
pw_status pw_scan_add_files(pw_scan *scan, const char *const *paths, int64_t count, int64_t max_pixels,
                            pw_bytes **skipped_json, char *error, size_t error_size);

/* Exact (Chan et al.) merge of `other` into `scan`: the same geometry, sample type, CFA and method. */
pw_status pw_scan_merge(pw_scan *scan, const pw_scan *other, char *error, size_t error_size);

/* The state as the bytes of a CLI state file (`hotpixels scan --save-state`). */
pw_status pw_scan_to_bytes(const pw_scan *scan, pw_bytes **bytes, char *error, size_t error_size);
/* Chan-merges the state in `data` (the bytes of pw_scan_to_bytes or a state file, checked likewise) into `scan`,
 * reading its statistics in place: a received state is merged without being decoded into a copy first (into an
 * empty scan it is decoded). `earlier` nonzero: its frames are listed before the scan's own. Errors as
 * pw_scan_from_bytes's, and PW_ERROR_VALUE for a state of another geometry. */
pw_status pw_scan_merge_bytes(pw_scan *scan, const uint8_t *data, int64_t size, int32_t earlier, char *error,
                              size_t error_size);

/* A scan from the bytes of a state file (checked: magic, version, sizes, checksum). */
pw_status pw_scan_from_bytes(const uint8_t *data, int64_t size, pw_scan **scan, char *error, size_t error_size);

/* Runs the detector. threshold: NaN for the default; top >= 1; suppression_radius: -1 for the default (4, or 1
 * on a CFA mosaic); flickering: 0/1. *report_json receives the CLI's `--json` report:
 * {"frames": N, "width": W, "height": H, "candidates": [{"x":..,"y":..,"channel":..,"kind":..,"score":..}, ...],
 *  "note": ... (optional)}. */
pw_status pw_scan_detect(const pw_scan *scan, double threshold, int64_t top, int64_t suppression_radius,
                         int32_t flickering, pw_bytes **report_json, char *error, size_t error_size);

/* Repairs defects in place in `image`, whose pixels ARE written (the caller passes a copy to keep its input): `sites` holds `count`
 * triples (x, y, channel) with channel -1 for every colour channel; `radius` 0 repairs the pixel from its
 * neighbours, r > 0 the (2r+1)² square around it from the ring outside; `cfa` != PW_CFA_NONE treats a
 * one-channel image as a mosaic (same-colour neighbours). A site outside the image or a channel out of range
 * is a PW_ERROR_VALUE; nothing is changed then. *repaired (may be NULL) receives the samples repaired. */
pw_status pw_hotpixels_fix(const pw_image *image, const int64_t *sites, int64_t count, int64_t radius, int32_t cfa,
                           int64_t *repaired, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif
#endif /* PIXELWISE_H */
