package org.segloss.examples.train;

/**
 * One finished epoch.
 *
 * @param epoch      1-based
 * @param epochs     of the run
 * @param loss       mean training loss over the epoch's steps
 * @param lr         the learning rate of the epoch
 * @param validation the validation after the epoch
 * @param seconds    wall time of training and validation
 */
public record EpochResult(int epoch, int epochs, double loss, float lr, Validation validation, double seconds) {}
