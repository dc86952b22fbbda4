/* main.c - a C program that embeds the iris model compiled by kiln.
 *
 *   kiln build --emit=lib model.kiln -o build
 *   cc -I build main.c build/iris.o build/libkiln_rt.a -lm -lpthread -o iris_demo
 *   ./iris_demo iris.safetensors
 *
 * or, with the trained weights compiled into iris.o (kiln build --emit=lib
 * --weights iris.safetensors ...), without a file: ./iris_demo
 *
 * iris.h (generated) declares the model and small wrappers around the
 * runtime's context API (kiln_rt.h): create a context, load weights,
 * predict any number of rows, destroy. No call aborts the program: each
 * returns a status, and iris_last_error() says what went wrong.
 */

#include "iris.h"

#include <stdio.h>

/* Three flowers: sepal length, sepal width, petal length, petal width. */
static const float flowers[][IRIS_INPUT_DIM] = {
    {5.1f, 3.5f, 1.4f, 0.2f},
    {6.4f, 2.9f, 4.3f, 1.3f},
    {7.7f, 3.0f, 6.1f, 2.3f},
};
enum { ROWS = sizeof flowers / sizeof flowers[0] };

static const char *const species[IRIS_OUTPUT_DIM] = {"setosa", "versicolor",
                                                     "virginica"};

int main(int argc, char **argv) {
  if (argc > 2 || (argc < 2 && !iris_model.weights)) {
    fprintf(stderr, "usage: %s WEIGHTS.safetensors (needed unless the weights "
                    "are compiled in)\n",
            argv[0]);
    return 2;
  }

  kiln_ctx *ctx = NULL;
  kiln_error err;
  if (iris_create(&ctx, &err) != KILN_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    return 1;
  }
  /* A missing or foreign checkpoint is an error message, not a crash. */
  if (argc == 2 && iris_load(ctx, argv[1]) != KILN_OK) {
    fprintf(stderr, "error: %s\n", iris_last_error(ctx));
    iris_destroy(ctx);
    return 1;
  }

  float probs[ROWS][IRIS_OUTPUT_DIM];
  if (iris_predict(ctx, &flowers[0][0], ROWS, &probs[0][0]) != KILN_OK) {
    fprintf(stderr, "error: %s\n", iris_last_error(ctx));
    iris_destroy(ctx);
    return 1;
  }

  for (int r = 0; r < ROWS; ++r) {
    int best = 0;
    printf("x");
    for (int k = 0; k < IRIS_INPUT_DIM; ++k)
      printf(" %g", flowers[r][k]);
    printf("  p");
    for (int k = 0; k < IRIS_OUTPUT_DIM; ++k) {
      printf(" %.6f", probs[r][k]);
      if (probs[r][k] > probs[r][best])
        best = k;
    }
    printf("  %s\n", species[best]);
  }

  iris_destroy(ctx);
  return 0;
}
