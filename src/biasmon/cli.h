/* The command-line program's subcommands. */
#ifndef BIASMON_CLI_H
#define BIASMON_CLI_H

#include <jansson.h>
#include <stdio.h>

/* Exit codes shared by every subcommand. */
enum {
    BM_EXIT_OK = 0,
    BM_EXIT_VIOLATIONS = 1, /* execute: CompletedWithViolations */
    BM_EXIT_USAGE = 2,      /* bad command line */
    BM_EXIT_INPUT = 3,      /* analyze: the config or the data cannot be used */
    BM_EXIT_FAILED = 3,     /* execute: the execution Failed */
    BM_EXIT_OUTPUT = 4,     /* an output could not be written */
    BM_EXIT_INTERNAL = 5    /* out of memory or a bug */
};

int bm_cmd_analyze(int argc, char **argv);
void bm_cmd_analyze_usage(FILE *out);
int bm_cmd_execute(int argc, char **argv);
int bm_cmd_serve(int argc, char **argv);
int bm_cmd_run(int argc, char **argv);
int bm_cmd_call(int argc, char **argv);
int bm_cmd_label(int argc, char **argv);
void bm_cmd_execute_usage(FILE *out);

/* Prints "biasmon: <file:line:col: message>" to stderr. */
struct bm_error;
void bm_cli_error(const struct bm_error *e);
/* 1 when a person reads stdout (a terminal) or flag asks for the summary anyway. */
int bm_cli_summary_wanted(int flag);
/* Prints to stdout the summary of the run whose outputs are in the folder dir (analysis.json and
 * constraint_violations.json read back, the baseline from baseline_uri when not NULL, account:
 * execution.json or analyze's counts) and the report's path (report: a name in dir, or NULL); with
 * as_json, account as JSON with "output" and "report" added instead. Problems are not fatal. */
void bm_cli_summary(const char *dir, const char *baseline_uri, json_t *account, const char *report,
                    int as_json);

/* Progress on stderr while a long run goes (src/biasmon/progress.c): rows and bytes read and the
 * rate, redrawn in place at most 4 times a second, cleared by _stop. NULL (and nothing shown) when
 * stderr is not a terminal, with --json, or when it cannot start; _stop(NULL) does nothing. what
 * names the run ("analyze") and must outlive it. */
struct bm_cli_progress;
struct bm_cli_progress *bm_cli_progress_start(const char *what, int as_json);
/* After the reading: the line then says what the run does now (phase must outlive the run). */
void bm_cli_progress_phase(struct bm_cli_progress *p, const char *phase);
void bm_cli_progress_stop(struct bm_cli_progress *p);

/* MPI (src/biasmon/mpi.c): under mpirun (Open MPI's environment present) and when built with MPI,
 * starts MPI and returns this process's place for bm_execution_params.comm; else NULL. A process
 * that cannot start MPI exits (5). _abort ends every rank of the job with code (exit without
 * MPI); _stop finalizes MPI after _start returned non-NULL. */
struct bm_shard_comm;
const struct bm_shard_comm *bm_cli_mpi_start(void);
void bm_cli_mpi_abort(int code);
void bm_cli_mpi_stop(void);
/* 1 when this biasmon was built with MPI. */
int bm_cli_mpi_built(void);

#endif
