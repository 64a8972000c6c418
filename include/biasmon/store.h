/* Object storage addressed by URI: the local file system today, other back-ends behind the same
 * calls. */
#ifndef BIASMON_STORE_H
#define BIASMON_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "biasmon/common.h"

/* URIs: a plain path ("data/capture", "/srv/x") or file:// URI ("file:///srv/x") is the local
 * file system: "objects" are regular files, "prefixes" directories. s3://bucket/key is an object
 * in S3 or any S3-compatible store, reached as AWS's tools reach it (endpoint, credentials and
 * region from AWS_* variables and the shared credentials file: lib/store/s3.h); a prefix is a
 * key prefix ending in '/' and listed with the delimiter '/'. Any other scheme is BM_ENOTFOUND
 * with a message saying which back-ends exist; a new back-end is one more entry in store.c's
 * table, the pipeline does not change. S3 errors name the bucket, the key and S3's error code
 * (NoSuchKey and NoSuchBucket are BM_ENOTFOUND, AccessDenied and signature errors BM_EACCESS).
 *
 * Contracts common to this header:
 * - Errors: functions returning int return BM_OK or a bm_status and fill err, which must not be
 *   NULL, naming the URI (or path) and saying what to change; messages never quote an object's
 *   content or a secret. Nothing is printed.
 * - Memory: inputs are borrowed. Results go into caller-owned buffers and lists (bm_buf,
 *   bm_strlist, char out[outlen]); a fixed-size out that is too small is BM_ELIMIT, never a cut
 *   name. Handles (readers, sequences) are the caller's and are freed by their _close/_free.
 * - Threads: every call may be made from any thread at once, except bm_store_confine (process-
 *   wide, once at start-up, before other threads use the store); a reader or a sequence is used
 *   by one thread at a time. S3 connections are shared between threads under libcurl's locks. */

/* A list of object names (relative to the listed prefix), sorted bytewise. */
typedef struct bm_strlist {
    char **v;
    size_t n, cap;
} bm_strlist;
/* Frees every name and the array; the list is then empty and may be reused. */
void bm_strlist_release(bm_strlist *l);
/* Appends a copy of s[0..n) (NUL-terminated in the list); BM_ENOMEM leaves the list as it was. */
int bm_strlist_push(bm_strlist *l, const char *s, size_t n) BM_MUST_CHECK;

/* Joins a URI and a relative key with exactly one '/' between them into out; BM_ELIMIT when
 * out (outlen bytes) cannot hold the whole result. Touches no storage. */
int bm_uri_join(const char *uri, const char *key, char *out, size_t outlen) BM_MUST_CHECK;

/* Lists the objects directly under prefix (files when dirs == 0, sub-prefixes when dirs == 1),
 * appended to out (the caller's, released with bm_strlist_release also after a failure).
 * A missing prefix is an empty list, not an error. At most max entries (BM_ELIMIT beyond). */
int bm_store_list(const char *prefix, int dirs, size_t max, bm_strlist *out,
                  bm_error *err) BM_MUST_CHECK;

/* bm_store_list of the files under prefix, each entry "NAME\tSIZE\tSTAMP" where STAMP changes
 * whenever the object is replaced: the modification time in nanoseconds and the inode locally,
 * the ETag in S3. Sorted by NAME; same bounds and errors as bm_store_list. For callers that must
 * notice a changed object without reading it (an execution's hour partials). */
int bm_store_list_stamped(const char *prefix, size_t max, bm_strlist *out,
                          bm_error *err) BM_MUST_CHECK;

/* Lists the objects one folder down from prefix whose folder's name lies between from and to
 * (inclusive, bytewise), each as "FOLDER/NAME", sorted: for each such folder what bm_store_list
 * of it with dirs == 0 gives (hidden ".names" skipped, deeper folders not entered). At most max
 * entries in all (BM_ELIMIT beyond); a missing prefix is an empty list. S3 does it with one
 * ListObjectsV2 (without delimiter, starting after from, stopping past to) where bm_store_list
 * needs one a folder: an execution lists a day's hour folders at once. */
int bm_store_list_range(const char *prefix, const char *from, const char *to, size_t max,
                        bm_strlist *out, bm_error *err) BM_MUST_CHECK;

/* Reads a whole object of at most max bytes into out (appending). BM_ENOTFOUND when missing;
 * BM_EIO when it is not a regular file (a FIFO, device or directory is refused at once: nothing
 * waits on it); BM_ELIMIT beyond max. After a failure out may hold part of the object. */
int bm_store_read(const char *uri, size_t max, bm_buf *out, bm_error *err) BM_MUST_CHECK;
/* Opens an object for reading as a descriptor the caller closes (same checks as bm_store_read);
 * *fd is -1 on failure. Local objects only (BM_EINVAL for s3://: use a reader). */
int bm_store_open_fd(const char *uri, int *fd, bm_error *err) BM_MUST_CHECK;

/* A sequential reader for large objects; memory does not grow with the object (S3: ranged GETs
 * of 8 MiB on one connection, an object replaced while being read is BM_EIO). */
typedef struct bm_store_reader bm_store_reader;
/* Opens uri for reading (the same checks as bm_store_read); the caller closes it with
 * bm_store_reader_close. NULL with err set (BM_ENOTFOUND, BM_EIO, BM_EACCESS, BM_ENOMEM).
 * One thread at a time per reader. */
bm_store_reader *bm_store_reader_open(const char *uri, bm_error *err);
/* Reads up to n bytes into buf; returns the count, 0 at the end, -1 on error (err set). */
long bm_store_reader_read(bm_store_reader *r, void *buf, size_t n, bm_error *err);
/* When the reader holds every byte of the object in memory and none was read yet (an S3 object
 * that its first ranged GET fetched whole), hands them over without a copy: a buffer of *len
 * bytes followed by a NUL, the caller's to bm_free; the reader is then at the end (reads return
 * 0). NULL otherwise (a local file, a larger object, bytes already read): read as usual. */
char *bm_store_reader_take_all(bm_store_reader *r, size_t *len);
/* The object's size in bytes: a local file's as it is now, an S3 object's as its first GET
 * said. BM_ENOTFOUND when it is not known (not a regular file). */
int bm_store_reader_size(bm_store_reader *r, uint64_t *size) BM_MUST_CHECK;
/* Closes the reader and frees it; NULL is a no-op. */
void bm_store_reader_close(bm_store_reader *r);

/* ---- a sequence of objects read one after another, the next ones opened ahead ----
 * The objects come from a generator, in its order, and are handed out in exactly that order.
 * With ahead == 0 nothing runs ahead: each call of bm_store_seq_next calls the generator and
 * opens the object in the caller's thread (local files take this path). With ahead > 0, `ahead`
 * threads call the generator (one at a time, in order) and open objects while the caller reads
 * the current one: at most `ahead` objects are held opened and not yet handed out. An S3 object is
 * opened by its first ranged GET (up to 8 MiB), so an S3 sequence holds at most ahead x 8 MiB
 * besides the object being read, whatever the traffic (BM_STORE_SEQ_AHEAD: 4, 32 MiB).
 * The generator writes the next URI into uri (cap bytes) and returns BM_OK, or BM_OK with uri[0]
 * == 0 at the end; any other status ends the sequence with that error (filled into err). It is
 * called from one thread at a time, possibly not the caller's: it must touch only ctx, which the
 * caller leaves alone until bm_store_seq_free. */
#define BM_STORE_SEQ_AHEAD 4u
#define BM_STORE_SEQ_MAX_AHEAD 16u
typedef int (*bm_store_seq_fn)(void *ctx, char *uri, size_t cap, bm_error *err);
typedef struct bm_store_seq bm_store_seq;
typedef struct bm_store_item {
    char uri[4096];
    bm_store_reader *reader; /* the caller's to close; NULL when the object could not be opened */
    bm_error error;          /* why it could not be opened (as bm_store_reader_open says) */
} bm_store_item;
/* A sequence; ahead is capped at BM_STORE_SEQ_MAX_AHEAD (and runs with fewer threads, down to
 * none, when threads cannot be started). NULL with err set when memory runs out. */
bm_store_seq *bm_store_seq_new(bm_store_seq_fn next, void *ctx, unsigned ahead, bm_error *err);
/* The next object into *it: BM_OK with *done = 0 and it->uri set, and it->reader or, for an
 * object that could not be opened, it->error (the sequence goes on after it); BM_OK with
 * *done = 1 at the end; the generator's status and error once every object before it was handed
 * out (the sequence then stays ended). */
int bm_store_seq_next(bm_store_seq *s, bm_store_item *it, int *done, bm_error *err) BM_MUST_CHECK;
/* Stops the threads (a request under way finishes first, within its retries and timeouts), closes
 * the objects opened ahead and not handed out. NULL is a no-op. */
void bm_store_seq_free(bm_store_seq *s);

/* Writes an object atomically (temporary name, then rename); creates missing prefixes. Replaces
 * only a regular file: a symbolic link, device, FIFO or directory in its place is BM_EIO. */
int bm_store_write(const char *uri, const void *data, size_t len, bm_error *err) BM_MUST_CHECK;
/* The one object a SageMaker processing input names (S3DataType S3Prefix): when uri is a folder
 * (a prefix) that holds objects, the single object in it (BM_EDATA when it holds several: the
 * message says how many and names the first two); otherwise uri itself (whether that object
 * exists is for its reader to find). Sub-folders are ignored. out receives the object's URI. */
int bm_store_resolve_one(const char *uri, char *out, size_t outlen, bm_error *err) BM_MUST_CHECK;
/* Removes an object; a missing one is not an error. */
int bm_store_remove(const char *uri, bm_error *err) BM_MUST_CHECK;

/* The local path of a file-system URI into out; BM_ENOTFOUND for other schemes (BM_EINVAL when
 * confined), BM_EACCESS outside the allowed roots. The path is for names and sizes: open through
 * the calls above, which hold the confinement. */
int bm_store_local_path(const char *uri, char *out, size_t outlen, bm_error *err) BM_MUST_CHECK;
/* 1 when uri is on the local file system (a plain path or file://), else 0. */
int bm_store_is_local(const char *uri);
/* A local file holding the object, for readers that need a path (the multi-threaded CSV reader):
 * a local URI's own path (*temporary = 0), or, for other back-ends, the object streamed into a
 * new file under $TMPDIR (default /tmp) that the caller unlinks (*temporary = 1). On failure
 * nothing is left behind and *temporary is 0. */
int bm_store_local_copy(const char *uri, char *out, size_t outlen, int *temporary,
                        bm_error *err) BM_MUST_CHECK;

/* ---- confinement (biasmon serve and its workers; docs/serve.md "Where the service may touch
 * the file system") ----
 * After bm_store_confine(dirs, n), every call above accepts only a URI whose local path is
 * absolute, has no "." or ".." part (else BM_EINVAL, a ValidationException in the API), and lies
 * lexically inside one of the n directories, given or fully resolved (else BM_EACCESS); s3:// URIs
 * are not on the local file system and stay allowed. Each
 * object is then opened beneath its root with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
 * (on kernels without openat2: opened, then its real path checked), so a symbolic link that
 * leads out of the root fails with BM_EACCESS whenever it was planted. Other schemes but s3:// are
 * BM_EINVAL. Messages name the path and the roots, never file content. The roots must exist; they
 * are resolved once here. Calling it again replaces them; after a failed call nothing is allowed.
 * Process-wide, like OpenBSD's unveil: call it at start-up, before other threads use the store.
 * A command-line user's `biasmon analyze`/`execute` is not confined. */
#define BM_STORE_MAX_ROOTS 16
int bm_store_confine(const char *const *dirs, size_t n, bm_error *err) BM_MUST_CHECK;
/* The check a request gets before anything runs: as above, and the part of the path that
 * exists must not lead out of its root through a link. Without confinement, BM_OK for any URI
 * the store can resolve. */
int bm_store_check(const char *uri, bm_error *err) BM_MUST_CHECK;
/* Writes the roots ("a, b") into out, for messages (a list longer than n bytes ends in "...");
 * returns how many there are. */
size_t bm_store_roots(char *out, size_t n);

/* ---- local files written whole: outputs are complete or absent ---- */

/* Writes data to path through a temporary file in the same directory (fsync'ed), then renames
 * it into place, so readers see the old file or the whole new one. Creates missing parent
 * directories. Only a regular file is ever replaced: when path names a symbolic link, a device
 * node, a FIFO, a socket or a directory, nothing is written and the error says what it is.
 * BM_EIO with err naming the path on failure. Not confined (bm_store_write is). */
int bm_write_file_atomic(const char *path, const void *data, size_t len,
                         bm_error *err) BM_MUST_CHECK;
/* The same in the directory open as dfd (or AT_FDCWD): name is one path component; shown is the
 * path errors name. The temporary file is created with O_EXCL|O_NOFOLLOW. */
int bm_write_file_atomic_at(int dfd, const char *name, const char *shown, const void *data,
                            size_t len, bm_error *err) BM_MUST_CHECK;

/* Creates dir and its parents (mode 0755); BM_EIO on failure. */
int bm_mkdirs(const char *dir, bm_error *err) BM_MUST_CHECK;

#endif
