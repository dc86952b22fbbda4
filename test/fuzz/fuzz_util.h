/*===- fuzz_util.h - Handing fuzzer inputs to readers that take a path -----===*/

#ifndef KILN_FUZZ_UTIL_H
#define KILN_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The CSV and .npy readers open a path: the input goes into one memfd,
 * rewritten for every input, whose /proc path they open. No disk I/O and
 * no file to clean up. */
static const char *fuzz_input_path(const uint8_t *data, size_t size) {
  static int fd = -1;
  static char path[64];
  if (fd < 0) {
    fd = memfd_create("kiln_fuzz", 0);
    if (fd < 0) {
      perror("memfd_create");
      abort();
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (ftruncate(fd, 0) != 0)
    abort();
  size_t done = 0;
  while (done < size) {
    ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
    if (n <= 0)
      abort();
    done += (size_t)n;
  }
  return path;
}

#endif
