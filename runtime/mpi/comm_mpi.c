/*===- comm_mpi.c - kiln_comm over Open MPI, and an executable's main -----===*
 *
 * libkiln_rt_mpi.a: linked only into models built with --distributed, so
 * that every other model and libkiln_rt.a itself stay free of MPI
 * (docs/distributed.md).
 *
 *===----------------------------------------------------------------------===*/

#include "kiln_rt.h"

#include <mpi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* MPI counts are int: a larger buffer goes in chunks, which also keeps
 * the library's temporary buffers small (see docs/distributed.md). */
static const int64_t CHUNK = 1 << 20;

static int allreduce(void *data, int64_t n, MPI_Datatype type, size_t size) {
  char *p = data;
  for (int64_t done = 0; done < n; done += CHUNK) {
    int count = (int)(n - done < CHUNK ? n - done : CHUNK);
    if (MPI_Allreduce(MPI_IN_PLACE, p + (size_t)done * size, count, type,
                      MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
      return 1;
  }
  return 0;
}

static int allreduce_f32(void *impl, float *data, int64_t n) {
  (void)impl;
  return allreduce(data, n, MPI_FLOAT, sizeof(float));
}

static int allreduce_f64(void *impl, double *data, int64_t n) {
  (void)impl;
  return allreduce(data, n, MPI_DOUBLE, sizeof(double));
}

static void abort_job(void *impl, int code) {
  (void)impl;
  MPI_Abort(MPI_COMM_WORLD, code);
}

/* Started by mpirun (Open MPI's launcher sets these), rather than alone:
 * alone, MPI_Init would start a daemon for a job of one. */
static int under_launcher(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK");
}

kiln_status kiln_mpi_comm_init(int *argc, char ***argv, kiln_comm *comm,
                               kiln_error *err) {
  memset(comm, 0, sizeof *comm);
  comm->size = comm->local_size = 1;
  comm->allreduce_sum_f32 = allreduce_f32;
  comm->allreduce_sum_f64 = allreduce_f64;
  comm->abort = abort_job;
  if (!under_launcher())
    return KILN_OK;
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) !=
      MPI_SUCCESS) {
    if (err) {
      err->code = KILN_ERR_IO;
      snprintf(err->message, sizeof err->message, "MPI_Init failed");
    }
    return KILN_ERR_IO;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &comm->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &comm->size);
  MPI_Comm local;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, comm->rank,
                          MPI_INFO_NULL, &local) == MPI_SUCCESS) {
    MPI_Comm_size(local, &comm->local_size);
    MPI_Comm_free(&local);
  }
  comm->impl = (void *)1; /* initialized: finalize ends MPI */
  return KILN_OK;
}

void kiln_mpi_comm_finalize(kiln_comm *comm) {
  if (comm->impl)
    MPI_Finalize();
  memset(comm, 0, sizeof *comm);
}

int kiln_mpi_main(int argc, char **argv, const kiln_model *m) {
  kiln_comm comm;
  kiln_error err;
  if (kiln_mpi_comm_init(&argc, &argv, &comm, &err)) {
    fprintf(stderr, "error: %s\n", err.message);
    return 1;
  }
  int rc = kiln_main_comm(argc, argv, m, &comm);
  /* A rank that failed ends the job: the others may be waiting for it in a
   * collective. Its message is out; files are written atomically, so
   * nothing is left half-written. */
  if (rc != 0 && comm.size > 1) {
    fflush(stdout);
    fflush(stderr);
    comm.abort(comm.impl, rc);
  }
  kiln_mpi_comm_finalize(&comm);
  return rc;
}
