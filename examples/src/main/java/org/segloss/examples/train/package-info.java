/**
 * The U-Net example's training run as a library piece, what {@code segloss train} calls and a
 * program can call without the command line: a {@link org.segloss.examples.train.RunConfig}
 * (data, model, loss, schedule, sampler, validation, seed, threads, output folder) run by a
 * {@link org.segloss.examples.train.Trainer}, which reports to
 * {@link org.segloss.examples.train.TrainingListener}s and returns a
 * {@link org.segloss.examples.train.RunResult}; validation
 * ({@link org.segloss.examples.train.Validator}) and inference on whole volumes
 * ({@link org.segloss.examples.train.Inference}) usable on their own; the output folder
 * ({@link org.segloss.examples.train.RunOutputs}, {@link org.segloss.examples.train.TrainingHistory}).
 * The flow is described in spec/training.md.
 */
package org.segloss.examples.train;
