/* Calls every function of include/pixelwise.h through the shared library, compiled against the hand-written
 * header: results against brute-force references computed here, and every error path giving its status and a
 * one-line message. Build and run: scripts/test-c-abi.sh. Exit 0 when every check passes. */
#include "pixelwise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
static char error[512];

#define CHECK(cond, ...)                                                             \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                     \
            fprintf(stderr, __VA_ARGS__);                                            \
            fprintf(stderr, "\n");                                                   \
            failures++;                                                              \
        }                                                                            \
    } while (0)

#define OK(call) CHECK((call) == PW_OK, "%s failed: %s", #call, error)

static pw_image image_u8(uint8_t *data, int64_t w, int64_t h, int64_t c, int64_t stride) {
    pw_image image = {data, w, h, c, stride, PW_UINT8};
    return image;
}

static void test_library(void) {
    CHECK(pw_abi_version() == 1, "abi version %d", pw_abi_version());
    CHECK(strlen(pw_version()) > 0, "empty version");
    int64_t before = pw_get_threads();
    OK(pw_set_threads(1, error, sizeof error));
    CHECK(pw_get_threads() == 1, "threads %lld", (long long)pw_get_threads());
    OK(pw_set_threads(0, error, sizeof error));
    CHECK(pw_get_threads() == before, "default threads not restored");
    CHECK(pw_set_threads(-1, error, sizeof error) == PW_ERROR_VALUE, "negative threads accepted");
    CHECK(strstr(error, "threads") != NULL, "message does not name threads: %s", error);
}

static void test_sample_and_crop(void) {
    /* A 7×5 RGB image inside a wider buffer (row stride 30 bytes): a view, as a numpy slice is. */
    uint8_t data[5 * 30];
    for (int i = 0; i < 5 * 30; i++) data[i] = (uint8_t)(i * 7 + 3);
    pw_image image = image_u8(data, 7, 5, 3, 30);
    int64_t points[] = {0, 0, 6, 4, 3, 2};
    uint8_t out[9];
    OK(pw_sample(&image, points, PW_POINTS_INT64, 3, PW_NEAREST, out, error, sizeof error));
    for (int p = 0; p < 3; p++)
        for (int c = 0; c < 3; c++) {
            uint8_t expected = data[points[2 * p + 1] * 30 + points[2 * p] * 3 + c];
            CHECK(out[3 * p + c] == expected, "nearest point %d channel %d: %d != %d", p, c, out[3 * p + c], expected);
        }
    double fpoints[] = {0.5, 0.25};
    double bilinear[3];
    OK(pw_sample(&image, fpoints, PW_POINTS_FLOAT64, 1, PW_BILINEAR, bilinear, error, sizeof error));
    for (int c = 0; c < 3; c++) {
        double a = data[c], b = data[3 + c], d = data[30 + c], e = data[33 + c];
        double expected = (a * 0.5 + b * 0.5) * 0.75 + (d * 0.5 + e * 0.5) * 0.25;
        CHECK(fabs(bilinear[c] - expected) < 1e-9, "bilinear channel %d: %f != %f", c, bilinear[c], expected);
    }
    int64_t outside[] = {7, 0};
    CHECK(pw_sample(&image, outside, PW_POINTS_INT64, 1, PW_NEAREST, out, error, sizeof error) == PW_ERROR_VALUE,
          "point outside accepted");
    CHECK(strstr(error, "0") != NULL && strchr(error, '\n') == NULL, "message: %s", error);

    uint8_t crop[2 * 3 * 3];
    pw_image target = image_u8(crop, 3, 2, 3, 9);
    OK(pw_crop(&image, 2, 1, 3, 2, &target, error, sizeof error));
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 9; x++)
            CHECK(crop[y * 9 + x] == data[(y + 1) * 30 + 6 + x], "crop (%d, %d)", x, y);
    CHECK(pw_crop(&image, 5, 0, 3, 2, &target, error, sizeof error) == PW_ERROR_VALUE, "crop outside accepted");
    CHECK(strstr(error, "region") != NULL, "crop message: %s", error);

    pw_image bad = image;
    bad.sample_type = 9;
    CHECK(pw_sample(&bad, points, PW_POINTS_INT64, 1, PW_NEAREST, out, error, sizeof error) == PW_ERROR_TYPE,
          "bad sample type accepted");
    CHECK(strstr(error, "image") != NULL, "message does not name the image: %s", error);
    bad = image;
    bad.row_stride = 10;
    CHECK(pw_sample(&bad, points, PW_POINTS_INT64, 1, PW_NEAREST, out, error, sizeof error) == PW_ERROR_VALUE,
          "short row stride accepted");
    CHECK(pw_sample(NULL, points, PW_POINTS_INT64, 1, PW_NEAREST, out, error, sizeof error) == PW_ERROR_VALUE,
          "NULL image accepted");
}

static void test_blur(void) {
    enum { W = 9, H = 6 };
    float data[W * H], out[W * H];
    for (int i = 0; i < W * H; i++) data[i] = (float)((i * 37) % 11);
    pw_image image = {data, W, H, 1, W * 4, PW_FLOAT32};
    pw_image target = {out, W, H, 1, W * 4, PW_FLOAT32};
    pw_radius radius;
    memset(&radius, 0, sizeof radius);
    radius.kind = PW_RADIUS_UNIFORM;
    radius.radius = 2;
    OK(pw_blur(&image, &radius, PW_KERNEL_BOX, &target, error, sizeof error));
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double sum = 0;
            int n = 0;
            for (int v = y - 2; v <= y + 2; v++)
                for (int u = x - 2; u <= x + 2; u++)
                    if (u >= 0 && u < W && v >= 0 && v < H) { sum += data[v * W + u]; n++; }
            CHECK(fabs(out[y * W + x] - sum / n) < 1e-5, "box (%d, %d): %f != %f", x, y, out[y * W + x], sum / n);
        }
    /* A radius map of uint8, and a distance mask. */
    uint8_t map[W * H];
    for (int i = 0; i < W * H; i++) map[i] = (uint8_t)(i % 3);
    radius.kind = PW_RADIUS_MAP;
    radius.map = image_u8(map, W, H, 1, W);
    OK(pw_blur(&image, &radius, PW_KERNEL_GAUSSIAN, &target, error, sizeof error));
    uint8_t mask[W * H] = {0};
    mask[3 * W + 4] = 1;
    radius.kind = PW_RADIUS_DISTANCE;
    radius.mask = image_u8(mask, W, H, 1, W);
    radius.per_pixel = 0.5;
    radius.max_radius = INFINITY;
    OK(pw_blur(&image, &radius, PW_KERNEL_BOX, &target, error, sizeof error));
    CHECK(out[3 * W + 4] == data[3 * W + 4], "distance 0 keeps the pixel");
    radius.kind = PW_RADIUS_UNIFORM;
    radius.radius = NAN;
    CHECK(pw_blur(&image, &radius, PW_KERNEL_BOX, &target, error, sizeof error) == PW_ERROR_VALUE, "NaN radius accepted");
    CHECK(strstr(error, "radius") != NULL, "message: %s", error);
    radius.radius = 1;
    pw_image wrong = {out, W - 1, H, 1, W * 4, PW_FLOAT32};
    CHECK(pw_blur(&image, &radius, PW_KERNEL_BOX, &wrong, error, sizeof error) == PW_ERROR_VALUE, "wrong output size accepted");
    CHECK(strstr(error, "output") != NULL, "message: %s", error);

    float distances[W * H];
    pw_image dt = {distances, W, H, 1, W * 4, PW_FLOAT32};
    OK(pw_distance_transform(&radius.mask, &dt, error, sizeof error));
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double expected = sqrt((double)((x - 4) * (x - 4) + (y - 3) * (y - 3)));
            CHECK(fabsf(distances[y * W + x] - (float)expected) < 1e-6, "distance (%d, %d)", x, y);
        }
}

static void test_quantize(void) {
    enum { W = 5, H = 4 };
    uint16_t data[W * H];
    for (int i = 0; i < W * H; i++) data[i] = (uint16_t)(i < 10 ? 100 + i : 1000 + i);
    pw_image image = {data, W, H, 1, W * 2, PW_UINT16};
    double centers[4], objective = -1;
    int64_t count = 0;
    OK(pw_quantize_fit(&image, 0, 2, 0, 0, PW_WEIGHT_UNIQUE, PW_METHOD_OPTIMAL, 1, 10, 1, centers, 4, &count, &objective,
                       error, sizeof error));
    CHECK(count == 2, "count %lld", (long long)count);
    CHECK(fabs(centers[0] - 104.5) < 1e-9 && fabs(centers[1] - 1014.5) < 1e-9, "centres %f %f", centers[0], centers[1]);
    CHECK(fabs(objective - 165.0) < 1e-9, "objective %f", objective);
    uint8_t labels[W * H];
    uint16_t values[W * H];
    pw_image labelImage = image_u8(labels, W, H, 1, W);
    pw_image valueImage = {values, W, H, 1, W * 2, PW_UINT16};
    OK(pw_quantize_assign(&image, 0, centers, count, &labelImage, &valueImage, error, sizeof error));
    for (int i = 0; i < W * H; i++) {
        CHECK(labels[i] == (i < 10 ? 0 : 1), "label %d", i);
        CHECK(values[i] == (i < 10 ? 105 : 1015), "value %d: %d", i, values[i]);
    }
    CHECK(pw_quantize_fit(&image, 0, 2, 0, 0, PW_WEIGHT_UNIQUE, PW_METHOD_OPTIMAL, 1, 10, 1, centers, 1, &count, &objective,
                          error, sizeof error) == PW_ERROR_VALUE, "small capacity accepted");
    double twice[] = {3, 3};
    CHECK(pw_quantize_assign(&image, 0, twice, 2, &labelImage, NULL, error, sizeof error) == PW_ERROR_VALUE,
          "a centre given twice accepted");
    CHECK(strstr(error, "twice") != NULL, "message: %s", error);
    CHECK(pw_quantize_fit(&image, 1, 2, 0, 0, PW_WEIGHT_UNIQUE, PW_METHOD_OPTIMAL, 1, 10, 1, centers, 4, &count, &objective,
                          error, sizeof error) == PW_ERROR_VALUE, "channel 1 of a grey image accepted");
    CHECK(strstr(error, "channel") != NULL, "message: %s", error);

    /* Counted data: the image's distinct values give its fit; counts give the pixels weighting. */
    double distinct[W * H];
    for (int i = 0; i < W * H; i++) distinct[i] = data[i];
    OK(pw_quantize_fit_values(distinct, NULL, W * H, 2, 0, 0, PW_METHOD_OPTIMAL, 1, 10, 1, centers, 4, &count,
                              &objective, error, sizeof error));
    CHECK(count == 2 && fabs(centers[0] - 104.5) < 1e-9 && fabs(centers[1] - 1014.5) < 1e-9 && fabs(objective - 165.0) < 1e-9,
          "values fit: %lld centres %f %f objective %f", (long long)count, centers[0], centers[1], objective);
    double values3[] = {1, 2, 10}, weights3[] = {3, 1, 2};
    OK(pw_quantize_fit_values(values3, weights3, 3, 2, 0, 0, PW_METHOD_OPTIMAL, 1, 10, 1, centers, 4, &count,
                              &objective, error, sizeof error));
    CHECK(count == 2 && fabs(centers[0] - 1.25) < 1e-12 && centers[1] == 10 && fabs(objective - 0.75) < 1e-12,
          "weighted fit: centres %f %f objective %f", centers[0], centers[1], objective);
    double unsorted[] = {1, 1, 3};
    CHECK(pw_quantize_fit_values(unsorted, NULL, 3, 2, 0, 0, PW_METHOD_OPTIMAL, 1, 10, 1, centers, 4, &count,
                                 &objective, error, sizeof error) == PW_ERROR_VALUE, "repeated values accepted");
    CHECK(strstr(error, "values[1]") != NULL, "message: %s", error);
    double zero[] = {3, 0, 1};
    CHECK(pw_quantize_fit_values(values3, zero, 3, 2, 0, 0, PW_METHOD_OPTIMAL, 1, 10, 1, centers, 4, &count,
                                 &objective, error, sizeof error) == PW_ERROR_VALUE, "a zero weight accepted");
    CHECK(strstr(error, "weights[1]") != NULL, "message: %s", error);
    CHECK(pw_quantize_fit_values(NULL, NULL, 3, 2, 0, 0, PW_METHOD_OPTIMAL, 1, 10, 1, centers, 4, &count,
                                 &objective, error, sizeof error) == PW_ERROR_VALUE, "NULL values accepted");
}

static void test_hotpixels(void) {
    enum { W = 16, H = 12, FRAMES = 8 };
    pw_scan *scan = NULL, *other = NULL, *restored = NULL;
    OK(pw_scan_new(W, H, 1, PW_CFA_NONE, PW_HOTPIXELS_RESIDUAL, &scan, error, sizeof error));
    OK(pw_scan_new(0, 0, 0, PW_CFA_NONE, PW_HOTPIXELS_RESIDUAL, &other, error, sizeof error));
    uint8_t frame[W * H];
    unsigned seed = 7;
    for (int f = 0; f < FRAMES; f++) {
        for (int i = 0; i < W * H; i++) {
            seed = seed * 1103515245u + 12345u;
            frame[i] = (uint8_t)(100 + (seed >> 16) % 9);
        }
        frame[5 * W + 6] = 250; /* a hot pixel */
        pw_image image = image_u8(frame, W, H, 1, W);
        OK(pw_scan_add(f < FRAMES / 2 ? scan : other, &image, error, sizeof error));
    }
    /* The same merge from state bytes, in place, into a copy of `scan` before the merge. */
    pw_bytes *beforeBytes = NULL, *otherBytes = NULL;
    pw_scan *fromBytes = NULL;
    OK(pw_scan_to_bytes(scan, &beforeBytes, error, sizeof error));
    OK(pw_scan_from_bytes(pw_bytes_data(beforeBytes), pw_bytes_size(beforeBytes), &fromBytes, error, sizeof error));
    OK(pw_scan_to_bytes(other, &otherBytes, error, sizeof error));
    OK(pw_scan_merge_bytes(fromBytes, pw_bytes_data(otherBytes), pw_bytes_size(otherBytes), 0, error, sizeof error));
    CHECK(pw_scan_frames(fromBytes) == FRAMES, "frames merged from bytes %lld", (long long)pw_scan_frames(fromBytes));
    CHECK(pw_scan_merge_bytes(fromBytes, pw_bytes_data(otherBytes), 20, 0, error, sizeof error) == PW_ERROR_VALUE,
          "truncated state bytes merged");
    OK(pw_scan_merge(scan, other, error, sizeof error));
    pw_bytes *mergedBytes = NULL, *mergedFromBytes = NULL;
    OK(pw_scan_to_bytes(scan, &mergedBytes, error, sizeof error));
    OK(pw_scan_to_bytes(fromBytes, &mergedFromBytes, error, sizeof error));
    CHECK(pw_bytes_size(mergedBytes) == pw_bytes_size(mergedFromBytes)
              && memcmp(pw_bytes_data(mergedBytes), pw_bytes_data(mergedFromBytes), (size_t)pw_bytes_size(mergedBytes)) == 0,
          "merging state bytes differs from merging the scan");
    pw_bytes_free(beforeBytes);
    pw_bytes_free(otherBytes);
    pw_bytes_free(mergedBytes);
    pw_bytes_free(mergedFromBytes);
    pw_scan_free(fromBytes);
    CHECK(pw_scan_frames(scan) == FRAMES, "frames %lld", (long long)pw_scan_frames(scan));
    int64_t w, h, c;
    int32_t type, cfa, method;
    pw_scan_geometry(scan, &w, &h, &c, &type, &cfa, &method);
    CHECK(w == W && h == H && c == 1 && type == PW_UINT8 && cfa == PW_CFA_NONE, "geometry");
    pw_bytes *report = NULL, *state = NULL;
    OK(pw_scan_detect(scan, NAN, 10, -1, 0, &report, error, sizeof error));
    const char *json = (const char *)pw_bytes_data(report);
    CHECK(strstr(json, "\"x\":6") != NULL && strstr(json, "\"y\":5") != NULL, "hot pixel not reported: %s", json);
    OK(pw_scan_to_bytes(scan, &state, error, sizeof error));
    OK(pw_scan_from_bytes(pw_bytes_data(state), pw_bytes_size(state), &restored, error, sizeof error));
    CHECK(pw_scan_frames(restored) == FRAMES, "restored frames");
    CHECK(pw_scan_from_bytes(pw_bytes_data(state), pw_bytes_size(state) - 3, &other, error, sizeof error) == PW_ERROR_VALUE,
          "truncated state accepted");
    uint8_t small[4] = {0};
    pw_image mismatched = image_u8(small, 2, 2, 1, 2);
    CHECK(pw_scan_add(scan, &mismatched, error, sizeof error) == PW_ERROR_VALUE, "mismatched frame accepted");
    const char *missing[] = {"/nonexistent/a.png", "/nonexistent/b.png"};
    pw_scan *fresh = NULL;
    OK(pw_scan_new(0, 0, 0, PW_CFA_NONE, PW_HOTPIXELS_RESIDUAL, &fresh, error, sizeof error));
    CHECK(pw_scan_add_files(fresh, missing, 2, 0, NULL, error, sizeof error) != PW_OK, "no readable file accepted");
    CHECK(strstr(error, "nonexistent") != NULL, "message: %s", error);
    pw_bytes_free(report);
    pw_bytes_free(state);
    pw_scan_free(scan);
    pw_scan_free(other);
    pw_scan_free(restored);
    pw_scan_free(fresh);

    /* Repair in place: the hot pixel takes its neighbours' mean. */
    uint8_t img[5 * 5];
    memset(img, 10, sizeof img);
    img[2 * 5 + 2] = 255;
    pw_image image = image_u8(img, 5, 5, 1, 5);
    int64_t sites[] = {2, 2, -1};
    int64_t repaired = 0;
    OK(pw_hotpixels_fix(&image, sites, 1, 0, PW_CFA_NONE, &repaired, error, sizeof error));
    CHECK(img[12] == 10 && repaired == 1, "repaired %d (%lld samples)", img[12], (long long)repaired);
    int64_t badChannel[] = {2, 2, 3};
    CHECK(pw_hotpixels_fix(&image, badChannel, 1, 0, PW_CFA_NONE, &repaired, error, sizeof error) == PW_ERROR_VALUE,
          "channel 3 of a grey image accepted");
}

static void test_files(const char *folder) {
    char path[1024];
    snprintf(path, sizeof path, "%s/abi-test.png", folder);
    uint16_t data[3 * 4 * 2];
    for (int i = 0; i < 24; i++) data[i] = (uint16_t)(i * 1000);
    pw_image image = {data, 3, 4, 2, 12, PW_UINT16};
    OK(pw_write(path, &image, 0, -1, NULL, error, sizeof error));
    pw_buffer *buffer = NULL;
    pw_image read;
    OK(pw_read(path, 0, 0, &buffer, &read, error, sizeof error));
    CHECK(read.width == 3 && read.height == 4 && read.channels == 2 && read.sample_type == PW_UINT16, "read geometry");
    CHECK(memcmp(read.data, data, sizeof data) == 0, "PNG round trip differs");
    pw_buffer_free(buffer);
    char copy[1024];
    snprintf(copy, sizeof copy, "%s/abi-test-like.png", folder);
    OK(pw_write_like(copy, &image, 0, -1, NULL, path, 0, 0, error, sizeof error));
    CHECK(pw_write_like(copy, &image, 0, -1, NULL, "/nonexistent/like.png", 0, 0, error, sizeof error) == PW_ERROR_NOT_FOUND,
          "missing like file accepted");
    CHECK(pw_read("/nonexistent/x.png", 0, 0, &buffer, &read, error, sizeof error) == PW_ERROR_NOT_FOUND, "missing file");
    CHECK(strstr(error, "/nonexistent/x.png") != NULL, "message: %s", error);
    snprintf(path, sizeof path, "%s/abi-test.unknown", folder);
    CHECK(pw_write(path, &image, 0, -1, NULL, error, sizeof error) == PW_ERROR_VALUE, "unknown extension accepted");
}

int main(int argc, char **argv) {
    test_library();
    test_sample_and_crop();
    test_blur();
    test_quantize();
    test_hotpixels();
    test_files(argc > 1 ? argv[1] : "/tmp");
    if (failures) {
        fprintf(stderr, "abi_test: %d check(s) failed\n", failures);
        return 1;
    }
    printf("abi_test: every check passed\n");
    return 0;
}
