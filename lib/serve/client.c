/* A small SigV4-signing client of biasmon serve's API over libcurl. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "biasmon/client.h"
#include "biasmon/jsonw.h"
#include "biasmon/sigv4.h"
#include "biasmon/store.h"

int bm_client_from_data_dir(bm_client *c, const char *data_dir, bm_error *err)
{
    memset(c, 0, sizeof(*c));
    c->timeout_s = 60;
    char path[1200], cred[1200];
    int n1 = snprintf(path, sizeof(path), "%s/serve.json", data_dir);
    int n2 = snprintf(cred, sizeof(cred), "%s/credentials", data_dir);
    if (n1 < 0 || (size_t)n1 >= sizeof(path) || n2 < 0 || (size_t)n2 >= sizeof(cred))
        return bm_error_set(err, BM_EINVAL,
                            "the data directory's path is longer than %zu bytes: use a shorter one",
                            sizeof(path) - sizeof("/credentials"));
    bm_buf b;
    bm_buf_init(&b, 65536);
    int r = bm_store_read(path, 65536, &b, err);
    if (r) {
        bm_buf_release(&b);
        return bm_error_set(err, BM_ENOTFOUND, "no biasmon serve is running on %s (no serve.json)",
                            data_dir);
    }
    json_t *j = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    bm_buf_release(&b);
    const char *url = j ? json_string_value(json_object_get(j, "endpoint_url")) : NULL;
    const char *region = j ? json_string_value(json_object_get(j, "region")) : NULL;
    if (!url || !region) {
        json_decref(j);
        return bm_error_set(err, BM_EDATA, "%s is not biasmon's serve.json", path);
    }
    if (strlen(url) >= sizeof(c->endpoint_url) || strlen(region) >= sizeof(c->region)) {
        json_decref(j);
        return bm_error_set(err, BM_EDATA,
                            "%s: endpoint_url longer than %zu bytes or region longer than %zu",
                            path, sizeof(c->endpoint_url) - 1, sizeof(c->region) - 1);
    }
    memcpy(c->endpoint_url, url, strlen(url) + 1);
    memcpy(c->region, region, strlen(region) + 1);
    json_decref(j);
    FILE *f = fopen(cred, "r");
    if (!f) return bm_error_set(err, BM_ENOTFOUND, "no credentials in %s", data_dir);
    fclose(f);
    return bm_credentials_load(data_dir, c->key_id, sizeof(c->key_id), c->secret, sizeof(c->secret),
                               err);
}

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    bm_buf *b = ud;
    return bm_buf_append(b, p, size * n) ? 0 : size * n;
}

int bm_client_call(const bm_client *c, const char *target, json_t *body, json_t **resp,
                   bm_error *err)
{
    *resp = NULL;
    bm_buf req, out;
    bm_buf_init(&req, 16u << 20);
    bm_buf_init(&out, 64u << 20);
    int r = bm_json_write(body, 0, &req);
    if (r) return bm_error_set(err, r, "request too large");
    char host[sizeof(c->endpoint_url)]; /* a part of endpoint_url: always fits */
    const char *h = strstr(c->endpoint_url, "://");
    snprintf(host, sizeof(host), "%s", h ? h + 3 : c->endpoint_url);
    char *slash = strchr(host, '/');
    if (slash) *slash = 0;
    char target_h[200];
    int nt = snprintf(target_h, sizeof(target_h), "%s", target);
    if (nt < 0 || (size_t)nt >= sizeof(target_h)) {
        bm_buf_release(&req);
        return bm_error_set(err, BM_EINVAL, "X-Amz-Target longer than %zu bytes",
                            sizeof(target_h) - 1);
    }
    bm_http_header hs[3] = {
        {"host", host}, {"content-type", "application/x-amz-json-1.1"}, {"x-amz-target", target_h}};
    bm_sigv4_request sr = {"POST", "/", "", hs, 3, req.data, req.len};
    bm_sigv4_key key = {c->key_id, c->secret};
    char date[32], auth[512];
    if ((r = bm_sigv4_sign(&sr, &key, c->region, "sagemaker", (int64_t)time(NULL), date,
                           sizeof(date), auth, sizeof(auth)))) {
        bm_buf_release(&req);
        return bm_error_set(err, r, "cannot sign the request");
    }
    CURL *curl = curl_easy_init();
    if (!curl) {
        bm_buf_release(&req);
        return bm_error_set(err, BM_ENOMEM, "cannot start libcurl");
    }
    char hv[4][700];
    snprintf(hv[0], sizeof(hv[0]), "Content-Type: application/x-amz-json-1.1");
    snprintf(hv[1], sizeof(hv[1]), "X-Amz-Target: %s", target);
    snprintf(hv[2], sizeof(hv[2]), "X-Amz-Date: %s", date);
    snprintf(hv[3], sizeof(hv[3]), "Authorization: %s", auth);
    struct curl_slist *list = NULL;
    for (int k = 0; k < 4; k++)
        list = curl_slist_append(list, hv[k]);
    list = curl_slist_append(list, "Expect:");
    char url[600];
    snprintf(url, sizeof(url), "%s/", c->endpoint_url);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.data ? req.data : "");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)req.len);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)(c->timeout_s > 0 ? c->timeout_s : 60));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    bm_buf_release(&req);
    if (cc != CURLE_OK) {
        bm_buf_release(&out);
        return bm_error_set(err, BM_EIO, "cannot reach %s: %s", c->endpoint_url,
                            curl_easy_strerror(cc));
    }
    *resp = json_loadb(out.data ? out.data : "{}", out.len ? out.len : 2, 0, NULL);
    bm_buf_release(&out);
    if (!*resp)
        return bm_error_set(err, BM_EIO,
                            "the service answered HTTP %ld with a body that is not JSON", status);
    if (status != 200) {
        const char *type = json_string_value(json_object_get(*resp, "__type"));
        const char *msg = json_string_value(json_object_get(*resp, "message"));
        return bm_error_set(err, BM_EDATA, "%s: %s", type ? type : "Error", msg ? msg : "");
    }
    return BM_OK;
}
