/* Fuzz target: a ground-truth record, scanned and turned into labels as an execution does
 * (CSV, JSON through the label JMESPath, base64), with the first input byte choosing the label
 * expression. Must never crash, leak or read out of bounds; labels are scalars. */
#include <stdint.h>
#include <string.h>
#include "biasmon/capture.h"
#include "biasmon/capture_extract.h"
#include "biasmon/capture_join.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const labels[] = {"label", "instances[*].label", "[0]", "y"};
    if (size < 1) return 0;
    const char *expr = labels[data[0] % 4];
    bm_capture_scanner *s = bm_capture_scanner_new(1 << 16);
    if (!s) return 0;
    bm_error err;
    bm_error_clear(&err);
    bm_capture_record rec;
    if (bm_capture_scan(s, (const char *)data + 1, size - 1, &rec, &err) == BM_OK &&
        rec.ground_truth.present) {
        bm__extractor x;
        memset(&x, 0, sizeof(x));
        bm_buf_init(&x.arena, 1 << 20);
        bm_buf_init(&x.copy, 1 << 20);
        x.label_expr = bm_jmespath_compile(expr, &err);
        int enc = rec.ground_truth.encoding.n == 4   ? BM__ENC_JSON
                  : rec.ground_truth.encoding.n == 6 ? BM__ENC_BASE64
                                                     : BM__ENC_CSV;
        if (bm__extract_labels(&x, rec.ground_truth.data, enc, enc == BM__ENC_JSON) == BM_OK) {
            for (size_t k = 0; k < x.labels.n; k++) {
                bm_cell c;
                bm__xval_cell(&x, &x.labels.v[k], &c);
                if (c.kind > BM_CELL_STR) __builtin_trap();
            }
        }
        bm__extractor_release(&x);
    }
    bm_capture_scanner_free(s);
    return 0;
}
