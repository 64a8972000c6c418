/* biasmon: the command-line entry point and subcommand dispatch. */
#include <stdio.h>
#include <string.h>
#include "biasmon/common.h"
#include "cli.h"

static void usage(FILE *out)
{
    fputs("usage: biasmon <command> [options]\n"
          "\n"
          "A self-hosted model bias drift monitor, compatible with SageMaker Clarify and\n"
          "SageMaker Model Monitor's ModelBiasMonitor.\n"
          "\n"
          "commands:\n"
          "  analyze   compute Clarify's bias metrics of a dataset (a Clarify processing job):\n"
          "            biasmon analyze --analysis-config F --dataset F --output DIR\n"
          "  execute   one monitoring execution: captured traffic joined with ground truth\n"
          "            biasmon execute --job-definition F --scheduled-time T [--capture-uri URI]\n"
          "  serve     the service: SageMaker's monitoring API, the scheduler, /metrics\n"
          "            biasmon serve [--data-dir DIR] [--listen HOST:PORT]\n"
          "  run       ask a running service for one execution of a schedule now\n"
          "            biasmon run SCHEDULE [--at T] [--wait]\n"
          "  label     push labels by inference id to a running service (written as ground truth)\n"
          "            biasmon label --ground-truth URI [FILE]\n"
          "  call      one signed API call to a running service\n"
          "            biasmon call OPERATION '{...}'\n"
          "\n"
          "Run 'biasmon <command> --help' for a command's options.\n",
          out);
}

void bm_cli_error(const bm_error *e)
{
    char msg[1200];
    bm_error_format(e, msg, sizeof(msg));
    fprintf(stderr, "biasmon: %s\n", msg);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return BM_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return BM_EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        puts("biasmon 0.1.0");
        return BM_EXIT_OK;
    }
    if (!strcmp(cmd, "analyze")) return bm_cmd_analyze(argc - 1, argv + 1);
    if (!strcmp(cmd, "execute")) return bm_cmd_execute(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve")) return bm_cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "run")) return bm_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "call")) return bm_cmd_call(argc - 1, argv + 1);
    if (!strcmp(cmd, "label")) return bm_cmd_label(argc - 1, argv + 1);
    fprintf(stderr, "biasmon: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return BM_EXIT_USAGE;
}
