/* biasmon execute under mpirun: the ranks of an Open MPI job as a bm_shard_comm (docs/shards.md).
 * Built with MPI when CMake finds it (BM_HAVE_MPI); without it, no process is ever a rank. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/execution.h"
#include "cli.h"

#ifdef BM_HAVE_MPI
#include <limits.h>
#include <mpi.h>

/* Sizes with MPI_Allgather, so that every rank decides alike whether the parts fit one
 * MPI_Gatherv (int counts and displacements: 2 GiB in all); then the bytes to rank 0. */
static int gather(void *ctx, const void *data, size_t len, bm_buf *parts, bm_error *err)
{
    (void)ctx;
    int size = 0, rank = 0, rc = BM_OK;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    uint64_t mine = len, *sizes = calloc((size_t)size, sizeof(uint64_t));
    int *counts = calloc((size_t)size, sizeof(int)), *displs = calloc((size_t)size, sizeof(int));
    char *all = NULL;
    if (!sizes || !counts || !displs) { /* one rank alone cannot go on: none can */
        fprintf(stderr, "biasmon: rank %d: out of memory before the gather\n", rank);
        MPI_Abort(MPI_COMM_WORLD, BM_EXIT_INTERNAL);
    }
    if (MPI_Allgather(&mine, 1, MPI_UINT64_T, sizes, 1, MPI_UINT64_T, MPI_COMM_WORLD) !=
        MPI_SUCCESS) {
        rc = bm_error_set(err, BM_EIO, "MPI_Allgather of the parts' sizes failed");
        goto out;
    }
    uint64_t total = 0;
    for (int k = 0; k < size; k++) {
        if (sizes[k] > BM_SHARD_PART_MAX) total = (uint64_t)INT_MAX + 1;
        counts[k] = (int)(sizes[k] > BM_SHARD_PART_MAX ? 0 : sizes[k]);
        displs[k] = (int)(total > INT_MAX ? 0 : total);
        total += sizes[k];
    }
    if (total > INT_MAX) {
        rc = bm_error_set(err, BM_ELIMIT,
                          "the ranks' parts are %llu bytes in all, more than one MPI_Gatherv "
                          "carries (2 GiB): run fewer ranks (docs/shards.md)",
                          (unsigned long long)total);
        goto out;
    }
    if (rank == 0 && !(all = malloc(total ? (size_t)total : 1))) {
        fprintf(stderr, "biasmon: rank 0: out of memory for the ranks' parts (%llu bytes)\n",
                (unsigned long long)total);
        MPI_Abort(MPI_COMM_WORLD, BM_EXIT_INTERNAL);
    }
    if (MPI_Gatherv(data, (int)len, MPI_BYTE, all, counts, displs, MPI_BYTE, 0, MPI_COMM_WORLD) !=
        MPI_SUCCESS) {
        rc = bm_error_set(err, BM_EIO, "MPI_Gatherv of the parts failed");
        goto out;
    }
    for (int k = 0; rank == 0 && parts && k < size; k++)
        if (bm_buf_append(&parts[k], all + displs[k], (size_t)counts[k])) {
            rc = bm_error_set(err, BM_ENOMEM, "out of memory");
            break;
        }
out:
    free(all);
    free(sizes);
    free(counts);
    free(displs);
    return rc;
}

static bm_shard_comm comm;

const bm_shard_comm *bm_cli_mpi_start(void)
{
    /* only under mpirun (Open MPI sets these for each rank): a plain run starts no MPI */
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMIX_RANK")) return NULL;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        fprintf(stderr, "biasmon: MPI_Init failed\n");
        exit(BM_EXIT_INTERNAL);
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &comm.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &comm.size);
    if (comm.size > BM_SHARDS_MAX) {
        if (comm.rank == 0)
            fprintf(stderr, "biasmon: at most %d ranks run one execution\n", BM_SHARDS_MAX);
        MPI_Abort(MPI_COMM_WORLD, BM_EXIT_USAGE);
    }
    comm.gather = gather;
    return &comm;
}

void bm_cli_mpi_abort(int code)
{
    MPI_Abort(MPI_COMM_WORLD, code);
}

void bm_cli_mpi_stop(void)
{
    MPI_Finalize();
}
#else
const bm_shard_comm *bm_cli_mpi_start(void)
{
    /* under mpirun without MPI every rank would run the whole execution into the same folder */
    const char *n = getenv("OMPI_COMM_WORLD_SIZE");
    if (n && strcmp(n, "1")) {
        const char *rank = getenv("OMPI_COMM_WORLD_RANK");
        if (!rank || !strcmp(rank, "0"))
            fprintf(stderr,
                    "biasmon: this biasmon was built without MPI, so each of the %s ranks would "
                    "run the whole execution: build it with libopenmpi-dev installed "
                    "(scripts/deps.sh), or use --shards\n",
                    n);
        exit(BM_EXIT_USAGE);
    }
    return NULL;
}

void bm_cli_mpi_abort(int code)
{
    exit(code);
}

void bm_cli_mpi_stop(void) {}
#endif

int bm_cli_mpi_built(void)
{
#ifdef BM_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}
