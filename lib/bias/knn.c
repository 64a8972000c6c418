/* Exact k-nearest-neighbour classification through a kd-tree (the flip test's classifier). */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) && defined(__GNUC__)
#define KNN_AVX 1 /* an AVX variant of the hot loops, chosen at run time */
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "biasmon/knn.h"

/* Internal, for tests: the k nearest training rows of every query, nearest first, in
 * (squared distance, row index) order; nbr receives n_query x k row indices. Same arguments,
 * validation and results as bm_knn_classify, minus the labels. */
int bm__knn_neighbors(const double *train, size_t n_train, size_t dim, const double *query,
                      size_t n_query, int k, int nthreads, size_t *nbr) BM_MUST_CHECK;
/* Internal, for tests: on = 1 makes later calls use the SSE2 loops even where AVX is
 * available (so both are tested on an AVX machine); on = 0 restores the default. */
void bm__knn_no_avx(int on);

/*
 * Exactness. The distance between a query q and a training point p is
 *     d2 = (((0 + t_0) + t_1) + ...) + t_{dim-1},  t_j = (q_j - p_j) * (q_j - p_j),
 * evaluated in double precision in exactly this order, whether by the scalar, SSE2 or AVX
 * loops (each vector lane performs the scalar sequence). No step is fused into an FMA:
 * products and sums are separate statements (Clang's default contracts only within one),
 * the library is built as ISO C (GCC then does not contract), and the AVX loops are
 * compiled for AVX without FMA. Candidates are ordered by (d2, row index) and the k
 * smallest win.
 *
 * A subtree is skipped only if none of its points can beat the current k-th candidate. Its
 * lower bound lb is computed from a box containing all its points (the tight bounding box
 * rounded outwards to floats) with the same formula and order, t_j replaced by the squared
 * gap between q_j and the box (0 inside). Rounded subtraction, squaring and addition are
 * monotone, so lb <= d2 holds in floating point for every point in the box, not only in
 * exact arithmetic. A subtree is therefore pruned when lb > worst.d2, or lb == worst.d2
 * and its smallest row index > worst.row: a point tied with the k-th candidate but with a
 * smaller row index is never lost.
 *
 * Splits are at the median of the key (value in the split dimension, row index), a strict
 * total order, so duplicate points split evenly. Points that are all identical form one
 * leaf sorted by row, whose scan stops at the first row that cannot enter. Children are
 * visited nearer first, and on equal bounds smaller rows first.
 */

enum {
    LEAF_MAX = 32,     /* nodes with more points are split (leaves: 17-32 points, except
                          when n_train < 17 or the points are identical) */
    SMALL_SELECT = 16, /* selection falls back to insertion sort below this size */
    QUERY_BLOCK = 256, /* queries a thread claims at a time */
    MAX_THREADS = 256,
    PARALLEL_BUILD_MIN = 1 << 15, /* a subtree this large may be built by two threads */
};

/* Two-lane vectors (GCC/Clang vector extensions; SSE2 on x86-64). Each lane performs the
 * scalar operation sequence described under "Exactness", so results do not depend on them. */
typedef double v2d __attribute__((vector_size(16)));
typedef float v2f __attribute__((vector_size(8)));
typedef int64_t v2l __attribute__((vector_size(16)));

static v2d load2(const double *p)
{
    v2d v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static v2d load2f(const float *p)
{
#if defined(__SSE2__)
    /* GCC 12 expands __builtin_convertvector to two scalar conversions and a shuffle */
    return (v2d)_mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)p)));
#else
    v2f v;
    memcpy(&v, p, sizeof(v));
    return __builtin_convertvector(v, v2d);
#endif
}

static v2d max0(v2d x)
{
    const v2d zero = {0, 0};
#if defined(__SSE2__)
    return (v2d)_mm_max_pd((__m128d)x, (__m128d)zero); /* x is never NaN */
#else
    return (v2d)((v2l)x & (v2l)(x > zero));
#endif
}

/* ---------------------------------------------------------------------------------------
 * The tree
 *
 * Nodes are variable-size records stored contiguously in preorder and addressed by byte
 * offset (the root is at 0, a left child right after its parent). An internal record holds
 * the bounding boxes of both children, interleaved so vector operations bound both at once:
 * for each dimension j, box[4j .. 4j + 3] = lower bound of the left and the right child,
 * upper bound of the left and the right child. Bounds are floats rounded outwards, so each
 * stored box contains the tight one (see "Exactness"), at half the size.
 *
 * A leaf's points are stored dimension-major (x_j of its m points at pts[begin dim + j m ...])
 * so that one vector operation computes two distances; a leaf of identical points keeps the
 * row-major layout and is sorted by row.
 * ------------------------------------------------------------------------------------- */

typedef struct kd_node {
    size_t right; /* the right child's record offset; 0 for a leaf */
    union {
        size_t min_row[2]; /* internal: smallest original row below the left, right child */
        struct {
            size_t begin, end; /* leaf: its points are [begin, end) of the reordered arrays */
        };
    };
    size_t same; /* leaf: its points are all identical, in row order */
} kd_node;

typedef struct kd_tree {
    size_t dim, n;
    double *pts;  /* n x dim, a copy of train reordered so every node's points are contiguous */
    size_t *rows; /* original row index of every reordered point */
    uint8_t *lab; /* label of every reordered point, NULL when no labels were given */
    unsigned char *rec; /* node records */
    size_t inner_size;  /* bytes of an internal record; a leaf record is a bare kd_node */
} kd_tree;

static const kd_node *node_at(const kd_tree *t, size_t off)
{
    return (const kd_node *)(const void *)(t->rec + off);
}

static float *child_boxes(const kd_tree *t, size_t off)
{
    return (float *)(void *)(t->rec + off + sizeof(kd_node));
}

/* Bytes of the records of a subtree over m points. Splits depend on sizes only, so this
 * fixes the layout before the build (identical points may end a subtree early, leaving the
 * rest of its space unused). */
static size_t subtree_bytes(const kd_tree *t, size_t m)
{
    if (m <= LEAF_MAX) return sizeof(kd_node);
    return t->inner_size + subtree_bytes(t, m / 2) + subtree_bytes(t, m - m / 2);
}

/* The largest float <= x, and the smallest float >= x (x finite). */
static float float_below(double x)
{
    if (x > FLT_MAX) return FLT_MAX;
    if (x < -FLT_MAX) return -INFINITY;
    float f = (float)x;
    return (double)f > x ? nextafterf(f, -INFINITY) : f;
}

static float float_above(double x)
{
    if (x > FLT_MAX) return INFINITY;
    if (x < -FLT_MAX) return -FLT_MAX;
    float f = (float)x;
    return (double)f < x ? nextafterf(f, INFINITY) : f;
}

/* Key order used for the median split: (value in dimension d, row index). */
static int key_less(const kd_tree *t, size_t a, size_t b, size_t d)
{
    double va = t->pts[a * t->dim + d], vb = t->pts[b * t->dim + d];
    return va < vb || (va == vb && t->rows[a] < t->rows[b]);
}

static void swap_pts(kd_tree *t, size_t a, size_t b)
{
    double *pa = t->pts + a * t->dim, *pb = t->pts + b * t->dim;
    for (size_t j = 0; j < t->dim; j++) {
        double x = pa[j];
        pa[j] = pb[j];
        pb[j] = x;
    }
    size_t r = t->rows[a];
    t->rows[a] = t->rows[b];
    t->rows[b] = r;
    if (t->lab) {
        uint8_t l = t->lab[a];
        t->lab[a] = t->lab[b];
        t->lab[b] = l;
    }
}

static void insertion_sort(kd_tree *t, size_t lo, size_t hi, size_t d)
{
    for (size_t i = lo + 1; i <= hi; i++)
        for (size_t j = i; j > lo && key_less(t, j, j - 1, d); j--)
            swap_pts(t, j, j - 1);
}

static void sift_down(kd_tree *t, size_t base, size_t i, size_t n, size_t d)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && key_less(t, base + c, base + c + 1, d)) c++;
        if (!key_less(t, base + i, base + c, d)) break;
        swap_pts(t, base + i, base + c);
        i = c;
    }
}

/* Sorts rows [lo, hi] by key in O(m log m). */
static void heap_sort(kd_tree *t, size_t lo, size_t hi, size_t d)
{
    size_t n = hi - lo + 1;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(t, lo, i, n, d);
    for (size_t end = n - 1; end > 0; end--) {
        swap_pts(t, lo, lo + end);
        sift_down(t, lo, 0, end, d);
    }
}

/* Rearranges rows [lo, hi] so that row kth holds the element of that rank in key order,
 * with smaller keys before it and larger after (nth_element). Quickselect with Hoare
 * partitioning and a median-of-three pivot, O(m) expected; falls back to heap sort after
 * too many rounds so the worst case is O(m log m). Keys are distinct (row indices are). */
static void select_kth(kd_tree *t, size_t lo, size_t hi, size_t kth, size_t d)
{
    const size_t dim = t->dim;
    int rounds = 0;
    while (hi - lo + 1 > SMALL_SELECT) {
        if (++rounds > 64) {
            heap_sort(t, lo, hi, d);
            return;
        }
        size_t mid = lo + (hi - lo) / 2;
        if (key_less(t, mid, lo, d)) swap_pts(t, mid, lo);
        if (key_less(t, hi, lo, d)) swap_pts(t, hi, lo);
        if (key_less(t, hi, mid, d)) swap_pts(t, hi, mid);
        /* lo <= mid <= hi now; the pivot is the middle one, so neither side is empty. */
        double pv = t->pts[mid * dim + d];
        size_t pr = t->rows[mid];
        size_t i = lo, j = hi;
        for (;;) {
            while (t->pts[i * dim + d] < pv || (t->pts[i * dim + d] == pv && t->rows[i] < pr))
                i++;
            while (pv < t->pts[j * dim + d] || (pv == t->pts[j * dim + d] && pr < t->rows[j]))
                j--;
            if (i >= j) break;
            swap_pts(t, i, j);
            i++;
            j--;
        }
        /* rows [lo, j] <= pivot <= rows [j + 1, hi], with lo <= j < hi */
        if (kth <= j)
            hi = j;
        else
            lo = j + 1;
    }
    insertion_sort(t, lo, hi, d);
}

/* Rewrites the leaf's points [begin, end) dimension-major; tmp has room for a leaf. */
static void transpose_leaf(kd_tree *t, size_t begin, size_t end, double *tmp)
{
    const size_t dim = t->dim, m = end - begin;
    double *base = t->pts + begin * dim;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < dim; j++)
            tmp[j * m + i] = base[i * dim + j];
    memcpy(base, tmp, m * dim * sizeof(double));
}

/* Scratch space of one build thread: lo and hi (dim each), then a leaf (LEAF_MAX x dim). */
static size_t scratch_doubles(size_t dim)
{
    return (2 + LEAF_MAX) * dim;
}

typedef struct build_task {
    kd_tree *t;
    double *scratch; /* threads x scratch_doubles(dim) */
    int threads;     /* threads the subtree may use */
    size_t off, begin, end;
    float *slot;
    int lane;
    size_t min_row; /* the result */
    pthread_t th;
} build_task;

static void *build_thread(void *arg);

/* Builds the subtree over rows [begin, end) at record offset off and returns the smallest
 * original row in it. slot/lane: where the parent keeps this node's box (NULL for the root).
 * Large subtrees hand their left half to another thread while threads > 1. */
static size_t build(kd_tree *t, double *scratch, int threads, size_t off, size_t begin, size_t end,
                    float *slot, int lane)
{
    const size_t dim = t->dim;
    double *lo = scratch, *hi = lo + dim;

    memcpy(lo, t->pts + begin * dim, dim * sizeof(double));
    memcpy(hi, t->pts + begin * dim, dim * sizeof(double));
    for (size_t i = begin + 1; i < end; i++) {
        const double *p = t->pts + i * dim;
        for (size_t j = 0; j < dim; j++) {
            if (p[j] < lo[j]) lo[j] = p[j];
            if (p[j] > hi[j]) hi[j] = p[j];
        }
    }
    if (slot) {
        for (size_t j = 0; j < dim; j++) {
            slot[4 * j + (size_t)lane] = float_below(lo[j]);
            slot[4 * j + 2 + (size_t)lane] = float_above(hi[j]);
        }
    }
    size_t d = 0; /* the dimension of largest spread, the first one on ties */
    double best = hi[0] - lo[0];
    for (size_t j = 1; j < dim; j++) {
        if (hi[j] - lo[j] > best) {
            best = hi[j] - lo[j];
            d = j;
        }
    }

    kd_node *nd = (kd_node *)(void *)(t->rec + off);
    if (best == 0) { /* identical points: one leaf in row order, however many */
        if (end - begin > 1) heap_sort(t, begin, end - 1, 0);
        *nd = (kd_node){.begin = begin, .end = end, .same = 1};
        return t->rows[begin];
    }
    if (end - begin <= LEAF_MAX) {
        *nd = (kd_node){.begin = begin, .end = end};
        size_t m = t->rows[begin];
        for (size_t i = begin + 1; i < end; i++)
            if (t->rows[i] < m) m = t->rows[i];
        transpose_leaf(t, begin, end, scratch + 2 * dim);
        return m;
    }

    size_t mid = begin + (end - begin) / 2;
    select_kth(t, begin, end - 1, mid, d);
    size_t left = off + t->inner_size, right = left + subtree_bytes(t, mid - begin);
    float *boxes = child_boxes(t, off);
    size_t ml, mr;
    int spawned = 0;
    build_task task;
    if (threads > 1 && end - begin >= PARALLEL_BUILD_MIN) {
        int give = threads / 2;
        task = (build_task){.t = t,
                            .scratch = scratch + (size_t)(threads - give) * scratch_doubles(dim),
                            .threads = give,
                            .off = left,
                            .begin = begin,
                            .end = mid,
                            .slot = boxes,
                            .lane = 0};
        if (pthread_create(&task.th, NULL, build_thread, &task) == 0) {
            spawned = 1;
            threads -= give;
        }
    }
    if (!spawned) ml = build(t, scratch, threads, left, begin, mid, boxes, 0);
    mr = build(t, scratch, threads, right, mid, end, boxes, 1);
    if (spawned) {
        pthread_join(task.th, NULL);
        ml = task.min_row;
    }
    *nd = (kd_node){.right = right, .min_row = {ml, mr}};
    return ml < mr ? ml : mr;
}

static void *build_thread(void *arg)
{
    build_task *b = arg;
    b->min_row = build(b->t, b->scratch, b->threads, b->off, b->begin, b->end, b->slot, b->lane);
    return NULL;
}

static void tree_release(kd_tree *t)
{
    bm_free(t->pts);
    bm_free(t->rows);
    bm_free(t->lab);
    bm_free(t->rec);
    memset(t, 0, sizeof(*t));
}

/* Copies the training set (and labels, when not NULL) and builds the tree over it with up
 * to nthreads threads. */
static int tree_init(kd_tree *t, const double *train, const uint8_t *labels, size_t n, size_t dim,
                     int nthreads)
{
    int r = BM_ENOMEM;
    double *scratch = NULL;
    memset(t, 0, sizeof(*t));
    t->dim = dim;
    t->n = n;
    t->inner_size = sizeof(kd_node) + (4 * dim * sizeof(float) + 7) / 8 * 8;
    t->pts = bm_reallocarray(NULL, n * dim, sizeof(double));
    t->rows = bm_reallocarray(NULL, n, sizeof(size_t));
    t->rec = bm_malloc(subtree_bytes(t, n));
    scratch = bm_reallocarray(NULL, (size_t)nthreads, scratch_doubles(dim) * sizeof(double));
    if (!t->pts || !t->rows || !t->rec || !scratch) goto out;
    if (labels) {
        if (!(t->lab = bm_malloc(n))) goto out;
        memcpy(t->lab, labels, n);
    }
    memcpy(t->pts, train, n * dim * sizeof(double));
    for (size_t i = 0; i < n; i++)
        t->rows[i] = i;

    build(t, scratch, nthreads, 0, 0, n, NULL, 0);
    r = BM_OK;
out:
    bm_free(scratch);
    if (r != BM_OK) tree_release(t);
    return r;
}

/* ---------------------------------------------------------------------------------------
 * Search
 * ------------------------------------------------------------------------------------- */

typedef struct cand {
    double d2;
    size_t row; /* original row index */
    size_t pos; /* position in the reordered arrays */
} cand;

/* (d2, row) order: is candidate (d2a, rowa) farther than b? */
static int cand_after(double d2a, size_t rowa, const cand *b)
{
    return d2a > b->d2 || (d2a == b->d2 && rowa > b->row);
}

/* Puts c at the root of the max-heap h[0, n) and sifts it down. */
static void cand_sift_down(cand *h, int n, cand c)
{
    int i = 0;
    for (;;) {
        int ch = 2 * i + 1;
        if (ch >= n) break;
        if (ch + 1 < n && cand_after(h[ch + 1].d2, h[ch + 1].row, &h[ch])) ch++;
        if (!cand_after(h[ch].d2, h[ch].row, &c)) break;
        h[i] = h[ch];
        i = ch;
    }
    h[i] = c;
}

typedef struct search {
    const kd_tree *t;
    const double *q;
    double *qq; /* q with every coordinate twice, for vector operations */
    cand *heap; /* max-heap in (d2, row) order: heap[0] is the current k-th candidate */
    int k, size;
    int avx; /* use the AVX loops */
} search;

/* Offers a candidate; returns 0 if it was rejected (the heap is full of nearer ones). */
static int heap_offer(search *s, double d2, size_t row, size_t pos)
{
    cand *h = s->heap;
    if (s->size < s->k) {
        int i = s->size++;
        while (i > 0) {
            int p = (i - 1) / 2;
            if (!cand_after(d2, row, &h[p])) break;
            h[i] = h[p];
            i = p;
        }
        h[i] = (cand){d2, row, pos};
        return 1;
    }
    if (!cand_after(h[0].d2, h[0].row, &(cand){d2, row, pos})) return 0;
    cand_sift_down(h, s->size, (cand){d2, row, pos});
    return 1;
}

/* The two hot loops below are written once with dim as a parameter, forced inline, and
 * instantiated for dim = 1..8 by WITH_DIM so the compiler unrolls them: a run-time dim
 * loop cost about as many instructions as the arithmetic. */
#define ALWAYS_INLINE inline __attribute__((always_inline))
/* clang-format off */
#define WITH_DIM(dim, CALL)                                                                 \
    switch (dim) {                                                                          \
    case 1: CALL(1); break;                                                                 \
    case 2: CALL(2); break;                                                                 \
    case 3: CALL(3); break;                                                                 \
    case 4: CALL(4); break;                                                                 \
    case 5: CALL(5); break;                                                                 \
    case 6: CALL(6); break;                                                                 \
    case 7: CALL(7); break;                                                                 \
    case 8: CALL(8); break;                                                                 \
    default: CALL(dim); break;                                                              \
    }
/* clang-format on */

/* Squared distances from q to the two child boxes stored in an internal record. */
static ALWAYS_INLINE v2d bounds_dim(const float *box, const double *qq, size_t dim)
{
    v2d acc = {0, 0};
#pragma GCC unroll 8
    for (size_t j = 0; j < dim; j++) {
        v2d qj = load2(qq + 2 * j);
        /* at most one term is positive (lo <= hi), so the sum is exactly the gap */
        v2d g = max0(load2f(box + 4 * j) - qj) + max0(qj - load2f(box + 4 * j + 2));
        v2d sq = g * g;
        acc = acc + sq;
    }
    return acc;
}

static v2d child_bounds(const kd_tree *t, size_t off, const double *qq)
{
    const float *box = child_boxes(t, off);
    v2d r;
#define BOUNDS(d) r = bounds_dim(box, qq, d)
    WITH_DIM(t->dim, BOUNDS)
#undef BOUNDS
    return r;
}

/* Squared distances from q to the m points of a leaf, stored dimension-major at base. */
static ALWAYS_INLINE void leaf_dists(const double *restrict base, size_t m,
                                     const double *restrict qq, size_t dim, double *restrict out)
{
    size_t i = 0;
    for (; i + 2 <= m; i += 2) {
        v2d acc = {0, 0};
#pragma GCC unroll 8
        for (size_t j = 0; j < dim; j++) {
            v2d diff = load2(qq + 2 * j) - load2(base + j * m + i);
            v2d sq = diff * diff;
            acc = acc + sq;
        }
        memcpy(out + i, &acc, sizeof(acc));
    }
    if (i < m) {
        double d2 = 0;
#pragma GCC unroll 8
        for (size_t j = 0; j < dim; j++) {
            double diff = qq[2 * j] - base[j * m + i];
            double sq = diff * diff;
            d2 = d2 + sq;
        }
        out[i] = d2;
    }
}

#if KNN_AVX
/* The same computations four lanes wide (AVX, no FMA): lanes 0 and 2 of a box vector are
 * lo - q and -(hi - q) = q - hi exactly, so the gaps are those of bounds_dim. */
__attribute__((target("avx"))) static ALWAYS_INLINE v2d bounds_dim_avx(const float *box,
                                                                       const double *q, size_t dim)
{
    const __m256d flip = _mm256_set_pd(-0.0, -0.0, 0.0, 0.0), zero = _mm256_setzero_pd();
    __m128d acc = _mm_setzero_pd();
#pragma GCC unroll 8
    for (size_t j = 0; j < dim; j++) {
        __m256d b = _mm256_cvtps_pd(_mm_loadu_ps(box + 4 * j));
        __m256d gaps =
            _mm256_max_pd(_mm256_xor_pd(_mm256_sub_pd(b, _mm256_broadcast_sd(q + j)), flip), zero);
        __m128d g = _mm_add_pd(_mm256_castpd256_pd128(gaps), _mm256_extractf128_pd(gaps, 1));
        acc = _mm_add_pd(acc, _mm_mul_pd(g, g));
    }
    return (v2d)acc;
}

__attribute__((target("avx"))) static v2d child_bounds_avx(const kd_tree *t, size_t off,
                                                           const double *q)
{
    const float *box = child_boxes(t, off);
    v2d r;
#define BOUNDS(d) r = bounds_dim_avx(box, q, d)
    WITH_DIM(t->dim, BOUNDS)
#undef BOUNDS
    return r;
}

__attribute__((target("avx"))) static ALWAYS_INLINE void
leaf_dists_avx(const double *restrict base, size_t m, const double *restrict q, size_t dim,
               double *restrict out)
{
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        __m256d acc = _mm256_setzero_pd();
#pragma GCC unroll 8
        for (size_t j = 0; j < dim; j++) {
            __m256d x = _mm256_loadu_pd(base + j * m + i);
            __m256d diff = _mm256_sub_pd(_mm256_broadcast_sd(q + j), x);
            acc = _mm256_add_pd(acc, _mm256_mul_pd(diff, diff));
        }
        _mm256_storeu_pd(out + i, acc);
    }
    for (; i < m; i++) {
        double d2 = 0;
#pragma GCC unroll 8
        for (size_t j = 0; j < dim; j++) {
            double diff = q[j] - base[j * m + i];
            double sq = diff * diff;
            d2 = d2 + sq;
        }
        out[i] = d2;
    }
}

__attribute__((target("avx"))) static void leaf_dists_avx_any(const double *restrict base, size_t m,
                                                              const double *restrict q, size_t dim,
                                                              double *restrict out)
{
#define DISTS(d) leaf_dists_avx(base, m, q, d, out)
    WITH_DIM(dim, DISTS)
#undef DISTS
}
#endif

static void scan_leaf(search *s, const kd_node *nd)
{
    const kd_tree *t = s->t;
    const size_t m = nd->end - nd->begin;
    const double *base = t->pts + nd->begin * t->dim, *qq = s->qq;
    double d2[LEAF_MAX];
#if KNN_AVX
    if (s->avx)
        leaf_dists_avx_any(base, m, s->q, t->dim, d2);
    else
#endif
    {
#define DISTS(d) leaf_dists(base, m, qq, d, d2)
        WITH_DIM(t->dim, DISTS)
#undef DISTS
    }
    /* only points at most as far as the k-th candidate can enter (a tie may, by row) */
    double worst = s->size == s->k ? s->heap[0].d2 : INFINITY;
    for (size_t i = 0; i < m; i++) {
        if (d2[i] > worst) continue;
        heap_offer(s, d2[i], t->rows[nd->begin + i], nd->begin + i);
        if (s->size == s->k) worst = s->heap[0].d2;
    }
}

/* Can no point at squared distance >= lb and with row >= min_row enter the heap? */
static int pruned(const search *s, double lb, size_t min_row)
{
    return s->size == s->k && cand_after(lb, min_row, &s->heap[0]);
}

/* Offers every point below the record at off to the heap, skipping the subtrees whose
 * bounds rule them out. */
static void visit(search *s, size_t off)
{
    const kd_tree *t = s->t;
    const kd_node *nd = node_at(t, off);

    if (nd->same) { /* one distance; rows ascend, so the first rejected row ends the scan */
        const double *p = t->pts + nd->begin * t->dim;
        double d2 = 0;
        for (size_t j = 0; j < t->dim; j++) {
            double diff = s->q[j] - p[j];
            double sq = diff * diff;
            d2 = d2 + sq;
        }
        for (size_t i = nd->begin; i < nd->end; i++)
            if (!heap_offer(s, d2, t->rows[i], i)) break;
        return;
    }
    if (!nd->right) {
        scan_leaf(s, nd);
        return;
    }

#if KNN_AVX
    v2d b = s->avx ? child_bounds_avx(t, off, s->q) : child_bounds(t, off, s->qq);
#else
    v2d b = child_bounds(t, off, s->qq);
#endif
    size_t first = off + t->inner_size, second = nd->right;
    size_t r1 = nd->min_row[0], r2 = nd->min_row[1];
    double lb1 = b[0], lb2 = b[1];
    if (lb2 < lb1 || (lb2 == lb1 && r2 < r1)) { /* nearer first, then smaller rows first */
        first = nd->right;
        second = off + t->inner_size;
        lb1 = b[1];
        lb2 = b[0];
        r1 = nd->min_row[1];
        r2 = nd->min_row[0];
    }
    if (!pruned(s, lb1, r1)) visit(s, first);
    if (!pruned(s, lb2, r2)) visit(s, second);
}

/* ---------------------------------------------------------------------------------------
 * Threads and query order
 *
 * Queries are answered in the order of the leaf they fall in, so consecutive queries walk
 * mostly the same nodes and points and find them in cache; in input order most of the ~50
 * leaves and ~170 internal nodes a query visits missed the cache (at 10^6 uniform rows in
 * 7 dimensions, 2x slower). The order is computed for chunks of at most max(n_train,
 * CHUNK_MIN) queries at a time, which keeps memory O(n_train).
 * ------------------------------------------------------------------------------------- */

enum { CHUNK_MIN = 1 << 16, LEAF_KEY_SHIFT = 4 };

typedef struct job {
    const kd_tree *t;
    const double *query;
    int k;
    uint8_t *out;  /* votes, or NULL */
    size_t *nbr;   /* neighbour rows, n_query x k, or NULL */
    int phase;     /* PHASE_* */
    int avx;       /* use the AVX loops */
    size_t base;   /* first query of the current chunk */
    size_t n;      /* queries in the current chunk */
    size_t *leaf;  /* per query of the chunk: its leaf_key (PHASE_LEAVES) */
    size_t *order; /* the chunk's queries (offsets from base) in leaf order (PHASE_ANSWER) */
    atomic_size_t next;
} job;

enum { PHASE_LEAVES, PHASE_ANSWER };

typedef struct worker {
    job *j;
    cand *heap; /* k candidates */
    double *qq; /* 2 x dim */
    pthread_t th;
} worker;

static atomic_int no_avx;

void bm__knn_no_avx(int on)
{
    atomic_store(&no_avx, on);
}

static int use_avx(void)
{
#if KNN_AVX
    __builtin_cpu_init();
    return !atomic_load(&no_avx) && __builtin_cpu_supports("avx");
#else
    return 0;
#endif
}

/* The sort key of a query: the first point of a leaf near q, over LEAF_KEY_SHIFT (leaves
 * hold more than 2^LEAF_KEY_SHIFT points unless they are made of identical points, so keys
 * rarely merge leaves). The descent takes the child whose box is nearer, left on ties. */
static size_t leaf_key(const kd_tree *t, const double *qq)
{
    size_t off = 0;
    while (node_at(t, off)->right) {
        v2d b = child_bounds(t, off, qq);
        off = b[1] < b[0] ? node_at(t, off)->right : off + t->inner_size;
    }
    return node_at(t, off)->begin >> LEAF_KEY_SHIFT;
}

static void set_query(search *s, const double *q)
{
    s->q = q;
    for (size_t j = 0; j < s->t->dim; j++)
        s->qq[2 * j] = s->qq[2 * j + 1] = q[j];
}

static void answer(search *s, job *j, size_t qi)
{
    s->size = 0;
    set_query(s, j->query + qi * s->t->dim);
    visit(s, 0);
    if (j->out) {
        int ones = 0;
        for (int i = 0; i < s->size; i++)
            ones += s->t->lab[s->heap[i].pos];
        j->out[qi] = 2 * ones > s->k ? 1 : 0; /* a vote tie goes to 0 */
    }
    if (j->nbr) {
        size_t *dst = j->nbr + qi * (size_t)s->k;
        for (int n = s->size; n > 0; n--) { /* heap sort: the farthest goes last */
            cand top = s->heap[0];
            cand_sift_down(s->heap, n - 1, s->heap[n - 1]);
            dst[n - 1] = top.row;
        }
    }
}

static void *work(void *arg)
{
    worker *w = arg;
    job *j = w->j;
    search s = {.t = j->t, .heap = w->heap, .qq = w->qq, .k = j->k, .avx = j->avx};
    for (;;) {
        size_t start = atomic_fetch_add(&j->next, QUERY_BLOCK);
        if (start >= j->n) break;
        size_t end = j->n - start < QUERY_BLOCK ? j->n : start + QUERY_BLOCK;
        if (j->phase == PHASE_LEAVES) {
            for (size_t i = start; i < end; i++) {
                set_query(&s, j->query + (j->base + i) * j->t->dim);
                j->leaf[i] = leaf_key(j->t, s.qq);
            }
        } else {
            for (size_t i = start; i < end; i++)
                answer(&s, j, j->base + j->order[i]);
        }
    }
    return NULL;
}

/* Runs the current phase of j on up to nthreads threads, the caller's included. If a
 * thread cannot be started, the others take over its share. */
static void run_phase(job *j, worker *w, int nthreads)
{
    int started = 0;
    atomic_store(&j->next, 0);
    for (int i = 1; i < nthreads; i++) {
        if (pthread_create(&w[i].th, NULL, work, &w[i]) != 0) break;
        started = i;
    }
    work(&w[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(w[i].th, NULL);
}

static int run_queries(const kd_tree *t, const double *query, size_t n_query, int k, int nthreads,
                       uint8_t *out, size_t *nbr)
{
    int r = BM_ENOMEM;
    worker *w = NULL;
    cand *heaps = NULL;
    double *qqs = NULL;
    size_t *count = NULL;
    job j = {.t = t, .query = query, .k = k, .out = out, .nbr = nbr, .avx = use_avx()};
    atomic_init(&j.next, 0);

    size_t blocks = n_query / QUERY_BLOCK + 1;
    if ((size_t)nthreads > blocks) nthreads = (int)blocks;
    size_t n_train = t->n;
    size_t chunk = n_train > CHUNK_MIN ? n_train : CHUNK_MIN;
    if (chunk > n_query) chunk = n_query;

    w = bm_reallocarray(NULL, (size_t)nthreads, sizeof(*w));
    heaps = bm_reallocarray(NULL, (size_t)nthreads * (size_t)k, sizeof(cand));
    qqs = bm_reallocarray(NULL, (size_t)nthreads * 2 * t->dim, sizeof(double));
    j.leaf = bm_reallocarray(NULL, chunk, sizeof(size_t));
    j.order = bm_reallocarray(NULL, chunk, sizeof(size_t));
    size_t n_keys = (t->n >> LEAF_KEY_SHIFT) + 1;
    count = bm_reallocarray(NULL, n_keys + 1, sizeof(size_t));
    if (!w || !heaps || !qqs || !j.leaf || !j.order || !count) goto out;
    for (int i = 0; i < nthreads; i++) {
        w[i].j = &j;
        w[i].heap = heaps + (size_t)i * (size_t)k;
        w[i].qq = qqs + (size_t)i * 2 * t->dim;
    }

    for (j.base = 0; j.base < n_query; j.base += j.n) {
        j.n = n_query - j.base < chunk ? n_query - j.base : chunk;
        j.phase = PHASE_LEAVES;
        run_phase(&j, w, nthreads);
        /* counting sort by leaf; stable, so queries in one leaf keep their input order */
        memset(count, 0, (n_keys + 1) * sizeof(size_t));
        for (size_t i = 0; i < j.n; i++)
            count[j.leaf[i] + 1]++;
        for (size_t i = 1; i <= n_keys; i++)
            count[i] += count[i - 1];
        for (size_t i = 0; i < j.n; i++)
            j.order[count[j.leaf[i]]++] = i;
        j.phase = PHASE_ANSWER;
        run_phase(&j, w, nthreads);
    }
    r = BM_OK;
out:
    bm_free(count);
    bm_free(j.order);
    bm_free(j.leaf);
    bm_free(qqs);
    bm_free(heaps);
    bm_free(w);
    return r;
}

/* ---------------------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------------------- */

static int resolve_threads(int nthreads)
{
    if (nthreads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = c > 0 ? (c < MAX_THREADS ? (int)c : MAX_THREADS) : 1;
    }
    return nthreads > MAX_THREADS ? MAX_THREADS : nthreads;
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

static int check_args(const double *train, size_t n_train, size_t dim, const double *query,
                      size_t n_query, int k)
{
    if (!train || dim == 0 || k < 1 || (size_t)k > n_train) return BM_EINVAL;
    if (n_query > 0 && !query) return BM_EINVAL;
    /* the copy of train and the node records (up to 16 dim + 32 bytes per point) must be
     * addressable; larger inputs could not be held in memory anyway */
    if (n_train > SIZE_MAX / 64 / dim) return BM_EINVAL;
    if (n_query > SIZE_MAX / sizeof(double) / dim) return BM_EINVAL;
    if ((size_t)k > SIZE_MAX / sizeof(cand) / MAX_THREADS) return BM_EINVAL;
    if (n_query > 0 && (size_t)k > SIZE_MAX / sizeof(size_t) / n_query) return BM_EINVAL;
    if (!all_finite(train, n_train * dim) || !all_finite(query, n_query * dim)) return BM_EINVAL;
    return BM_OK;
}

int bm_knn_classify(const double *train, const uint8_t *labels, size_t n_train, size_t dim,
                    const double *query, size_t n_query, int k, int nthreads, uint8_t *out)
{
    int r;
    kd_tree t = {0};
    if ((r = check_args(train, n_train, dim, query, n_query, k)) != BM_OK) goto out;
    r = BM_EINVAL;
    if (!labels || (n_query > 0 && !out)) goto out;
    for (size_t i = 0; i < n_train; i++)
        if (labels[i] > 1) goto out;
    r = BM_OK;
    if (n_query == 0) goto out;
    nthreads = resolve_threads(nthreads);
    if ((r = tree_init(&t, train, labels, n_train, dim, nthreads)) != BM_OK) goto out;
    r = run_queries(&t, query, n_query, k, nthreads, out, NULL);
out:
    tree_release(&t);
    return r;
}

int bm__knn_neighbors(const double *train, size_t n_train, size_t dim, const double *query,
                      size_t n_query, int k, int nthreads, size_t *nbr)
{
    int r;
    kd_tree t = {0};
    if ((r = check_args(train, n_train, dim, query, n_query, k)) != BM_OK) goto out;
    r = BM_EINVAL;
    if (n_query > 0 && !nbr) goto out;
    r = BM_OK;
    if (n_query == 0) goto out;
    nthreads = resolve_threads(nthreads);
    if ((r = tree_init(&t, train, NULL, n_train, dim, nthreads)) != BM_OK) goto out;
    r = run_queries(&t, query, n_query, k, nthreads, NULL, nbr);
out:
    tree_release(&t);
    return r;
}
