/*===- fake_models.h - Hand-written models with the compiler's ABI --------===*
 *
 * Stand-ins for compiled models, so the runtime can be tested without the
 * compiler: each is a kiln_model descriptor whose functions are written by
 * hand in C (fake_models.c).
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_TEST_FAKE_MODELS_H
#define KILN_TEST_FAKE_MODELS_H

#include "kiln_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Softmax regression: 4 features -> 3 classes, batch 8, SGD (lr 0.5) on the
 * mean cross-entropy. Target column "label"; features: all other columns.
 * Tensors: linear.weight [3, 4] (xavier_uniform), linear.bias [3] (zeros),
 * opt.steps [1] (OPTIMIZER: counts train_step calls). */
extern const kiln_model fake_classifier_model;

/* The same network with a `prepare` function: predict reads the prepared
 * state, whose extra last float prepare sets to 1 (else outputs are NaN). */
extern const kiln_model fake_prepared_model;

/* Linear regression: 3 features -> 2 real targets (columns 3 and 4 by
 * index), batch 4, SGD (lr 0.1) on the MSE (per row: mean over columns).
 * Tensors: w [2, 3] (normal 0, 0.1), b [2] (zeros), bn.running_mean [2]
 * (zeros), bn.running_var [2] (ones), opt.velocity [2, 3] (OPTIMIZER). */
extern const kiln_model fake_regressor_model;

/* Logistic regression: 2 features -> binary target "y", batch 4. */
extern const kiln_model fake_binary_model;

/* Two independent logistic outputs: 2 features -> 2 labels "a", "b". */
extern const kiln_model fake_multilabel_model;

/* A model whose losses are scripted, for the training loop's control flow:
 * 1 feature, 1 real target, batch 2. train_step writes epoch+1 into the
 * PARAM "marker" and reports fake_script_train_loss[step - 1] (1.0 past
 * the script); eval_step reports fake_script_val_loss[marker - 1] for every
 * row and outputs 0. */
extern const kiln_model fake_scripted_model;
enum { FAKE_SCRIPT_LEN = 64 };
extern float fake_script_train_loss[FAKE_SCRIPT_LEN];
extern float fake_script_val_loss[FAKE_SCRIPT_LEN];
extern int64_t fake_script_steps_seen[FAKE_SCRIPT_LEN]; /* epoch per step */
void fake_script_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* KILN_TEST_FAKE_MODELS_H */
