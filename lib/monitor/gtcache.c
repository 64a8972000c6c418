/* Ground-truth file summaries: what reading one ground-truth file put in the join table (its
 * records' ids and labels, in order), saved beside the hour partials and taken instead of the file
 * while the file's size and stamps are unchanged. Only for local ground truth and local partials,
 * and only for files read without any malformed line (nothing to quote in execution.json): any
 * other file is read as before. docs/partials.md, "Ground-truth summaries", has the format. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "biasmon/progress.h"
#include "biasmon/sigv4.h"
#include "biasmon/store.h"
#include "internal.h"
#include "wire.h"

#define GTC_MAGIC "BMGTSUM\n"
#define GTC_VERSION 1u
#define GTC_MAX (512u << 20) /* bytes of one summary: a larger one is not saved */

/* The file's size, modification and change times (ns) and identity; 0 when it is a regular local
 * file. Any write to a file changes its change time, so an equal stamp means equal bytes. */
static int stamp_of(const char *uri, uint64_t st7[7])
{
    char path[4096];
    bm_error e;
    struct stat st;
    if (bm_store_local_path(uri, path, sizeof(path), &e) || stat(path, &st) ||
        !S_ISREG(st.st_mode) || st.st_size < 0)
        return -1;
    st7[0] = (uint64_t)st.st_size;
    st7[1] = (uint64_t)st.st_mtim.tv_sec;
    st7[2] = (uint64_t)st.st_mtim.tv_nsec;
    st7[3] = (uint64_t)st.st_ctim.tv_sec;
    st7[4] = (uint64_t)st.st_ctim.tv_nsec;
    st7[5] = (uint64_t)st.st_ino;
    st7[6] = (uint64_t)st.st_dev;
    return 0;
}

/* Where the summary of ground-truth file uri lives: named by the SHA-256 of its URI. */
static int summary_uri(const bm__run *r, const char *uri, char *out, size_t cap)
{
    char h[65], key[64];
    bm_sigv4_sha256_hex(uri, strlen(uri), h);
    snprintf(key, sizeof(key), "_gt/%.2s/%.32s.bmg", h, h);
    return bm_uri_join(r->partials_root, key, out, cap) ? -1 : 0;
}

static int usable(const bm__run *r, const char *uri)
{
    return r->partials && bm_store_is_local(r->partials_root) && bm_store_is_local(uri);
}

/* The summary's header up to its records: magic, version, configuration, URI, stamps. */
static int put_header(bm_buf *b, const bm__run *r, const char *uri, const uint64_t st7[7])
{
    int rc = bm_buf_append(b, GTC_MAGIC, 8) || bm__put_u32(b, GTC_VERSION) ||
             bm_buf_append(b, r->cfg_hex, 64) || bm__put_bytes(b, uri, strlen(uri));
    for (int k = 0; !rc && k < 7; k++)
        rc = bm__put_u64(b, st7[k]);
    return rc ? BM_ELIMIT : BM_OK;
}

int bm__gtc_take(bm__run *r, bm_store_item *it, bm_error *err)
{
    if (!it->reader || !usable(r, it->uri)) return 0;
    uint64_t st7[7];
    char suri[4200];
    if (stamp_of(it->uri, st7) || summary_uri(r, it->uri, suri, sizeof(suri))) return 0;
    bm_buf text, head;
    bm_buf_init(&text, GTC_MAX);
    bm_buf_init(&head, 1u << 16);
    bm_error e;
    int ok = 0;
    if (bm_store_read(suri, GTC_MAX, &text, &e) || text.len < 64 ||
        put_header(&head, r, it->uri, st7) || text.len - 64 < head.len + 8 ||
        memcmp(text.data, head.data, head.len))
        goto out;
    char sum[65];
    bm_sigv4_sha256_hex(text.data, text.len - 64, sum);
    if (memcmp(sum, text.data + text.len - 64, 64)) goto out;
    /* pass one: the records are whole and fill the summary exactly */
    bm__cursor c = {(const unsigned char *)text.data + head.len,
                    (const unsigned char *)text.data + text.len - 64, 0};
    uint64_t n = bm__get_u64(&c);
    if (n > (uint64_t)(c.e - c.p) / 12) goto out;
    const unsigned char *recs = c.p;
    for (uint64_t k = 0; k < n && !c.bad; k++) {
        (void)bm__get_bytes(&c);
        (void)bm__get_bytes(&c);
        if (bm__get_u32(&c) > 0x1ffu) c.bad = 1;
    }
    if (c.bad || c.p != c.e) goto out;
    /* pass two: the puts reading the file would make, in its order */
    bm_store_reader_close(it->reader);
    it->reader = NULL;
    r->gt_files++;
    c.p = recs;
    int rc = BM_OK;
    for (uint64_t k = 0; k < n && !rc; k++) {
        bm_slice id = bm__get_bytes(&c), data = bm__get_bytes(&c);
        uint32_t f = bm__get_u32(&c);
        r->gt_records++;
        rc = bm__gt_put(&r->gt, id, data, (int)(f & 0xffu), (int)(f >> 8));
    }
    bm_progress_add(st7[0], n);
    r->gtc_reused++;
    ok = rc ? -rc : 1;
    if (rc == BM_ENOMEM) bm_error_set(err, BM_ENOMEM, "out of memory");
out:
    bm_buf_release(&text);
    bm_buf_release(&head);
    return ok;
}

void bm__gtc_begin(bm__run *r, const char *uri)
{
    r->gtc_on = 0;
    r->gtc_records = 0;
    if (!usable(r, uri) || stamp_of(uri, r->gtc_stamp)) return;
    bm_buf_init(&r->gtc, GTC_MAX);
    r->gtc_on = 1;
}

void bm__gtc_record(bm__run *r, bm_slice id, bm_slice data, int enc, int json)
{
    if (r->gtc_on != 1) return;
    if (bm__put_bytes(&r->gtc, id.p, id.n) || bm__put_bytes(&r->gtc, data.p, data.n) ||
        bm__put_u32(&r->gtc, (uint32_t)(enc & 0xff) | (uint32_t)(json ? 1 : 0) << 8)) {
        r->gtc_on = 2; /* too large to save (or out of memory): the file is not summarised */
        bm_buf_release(&r->gtc);
        return;
    }
    r->gtc_records++;
}

void bm__gtc_end(bm__run *r, const char *uri, uint64_t malformed_before, uint64_t files_before,
                 int rc)
{
    if (!r->gtc_on) return;
    uint64_t st7[7];
    char suri[4200];
    bm_buf out;
    bm_buf_init(&out, GTC_MAX);
    /* saved only when the file was read whole without a problem and did not change meanwhile */
    if (r->gtc_on == 1 && !rc && r->malformed_gt == malformed_before &&
        r->gt_files == files_before + 1 && !stamp_of(uri, st7) &&
        !memcmp(st7, r->gtc_stamp, sizeof(st7)) && !summary_uri(r, uri, suri, sizeof(suri)) &&
        !put_header(&out, r, uri, st7) && !bm__put_u64(&out, r->gtc_records) &&
        !bm_buf_append(&out, r->gtc.data, r->gtc.len) && out.len + 64 <= GTC_MAX) {
        char sum[65];
        bm_sigv4_sha256_hex(out.data, out.len, sum);
        bm_error e;
        if (!bm_buf_append(&out, sum, 64) && !bm_store_write(suri, out.data, out.len, &e))
            r->gtc_saved++;
    }
    bm_buf_release(&out);
    bm_buf_release(&r->gtc);
    r->gtc_on = 0;
}
