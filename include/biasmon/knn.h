/* Exact k-nearest-neighbour classification (Euclidean) through a kd-tree, for the flip test. */
#ifndef BIASMON_KNN_H
#define BIASMON_KNN_H

#include <stddef.h>
#include <stdint.h>
#include "biasmon/common.h"

/* Classifies every query point by majority vote of the labels of its k nearest training
 * points (uniform weights), exactly as scikit-learn's KNeighborsClassifier with p=2 would when
 * there are no distance ties.
 *
 * train: n_train x dim doubles, row-major; labels: n_train bytes, 0 or 1.
 * query: n_query x dim doubles, row-major; out: n_query bytes receiving 0 or 1.
 * Distance ties are broken by training row order: among points at equal distance, the one
 * that comes first in `train` is nearer. A vote tie (possible only for even k) goes to 0.
 * (Distances are squared Euclidean distances in double precision, summed in dimension order
 * 0..dim-1; "equal" means equal as computed so.)
 * Requirements: 1 <= k <= n_train, dim >= 1, all values finite. nthreads <= 0 means one
 * thread per online CPU (for the tree build and the queries). Memory beyond the inputs:
 * O(n_train x dim), about n_train x (8 dim + 40) bytes (a reordered copy of train, indices,
 * the tree).
 * Returns BM_OK, BM_EINVAL (bad arguments, non-finite value), or BM_ENOMEM. */
int bm_knn_classify(const double *train, const uint8_t *labels, size_t n_train, size_t dim,
                    const double *query, size_t n_query, int k, int nthreads,
                    uint8_t *out) BM_MUST_CHECK;

#endif
