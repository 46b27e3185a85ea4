package org.segloss.examples.train;

import java.util.List;
import org.segloss.tensor.LabelTensor;

/**
 * The validation of one epoch: {@code perClass[m][c]} is metric m of
 * {@link TrainingHistory#METRICS} (Dice, IoU, HD95 mm, ASSD mm) for class c (0 = background), the
 * mean over the validation volumes ({@link Validator}); {@code predictions} are the predicted label
 * maps, one per validation volume, in order.
 */
public record Validation(double[][] perClass, List<LabelTensor> predictions) {
    public Validation {
        predictions = List.copyOf(predictions);
    }

    /** Dice per class. */
    public double[] dice() { return perClass[0]; }

    /** Mean Dice over the foreground classes (classes absent everywhere left out). */
    public double meanForegroundDice() { return TrainingHistory.foregroundMean(dice()); }
}
