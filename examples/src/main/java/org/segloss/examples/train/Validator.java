package org.segloss.examples.train;

import java.util.ArrayList;
import java.util.List;
import org.segloss.examples.unet.LabeledVolume;
import org.segloss.examples.unet.UNet3d;
import org.segloss.metrics.ClassMetrics;
import org.segloss.metrics.MetricsReport;
import org.segloss.metrics.SegmentationMetrics;
import org.segloss.tensor.LabelTensor;

/**
 * Validation: predicts every validation volume ({@link Inference}) and averages Dice, IoU, HD95
 * and ASSD ({@link SegmentationMetrics}, millimetres with {@code spacing}) per class over the
 * volumes, with the rules of {@link MetricsReport#mean}: a volume where the class is in neither
 * prediction nor truth is left out of that class's means (NaN, printed "nan", when it is absent
 * everywhere); a volume where it is in exactly one of them counts as Dice 0 and distance
 * +Infinity, which makes the distance mean infinite (printed "inf": the net missed or invented
 * the structure somewhere, which a finite mean would hide).
 *
 * @param inference how each volume is predicted
 * @param spacing   voxel size in mm {@code [sz, sy, sx]}
 */
public record Validator(Inference inference, double[] spacing) {
    public Validator {
        if (inference == null) throw new IllegalArgumentException("Validator: inference must not be null");
        if (spacing == null || spacing.length != 3) {
            throw new IllegalArgumentException("Validator: spacing must be [sz, sy, sx], got " + java.util.Arrays.toString(spacing));
        }
        spacing = spacing.clone();
    }

    /** The metrics of {@code model} on {@code volumes}; the model is left in the mode it was in. */
    public Validation validate(UNet3d model, List<LabeledVolume> volumes) {
        int classes = model.classes();
        double[][] sum = new double[TrainingHistory.METRICS.length][classes];
        int[] counted = new int[classes];
        List<LabelTensor> predictions = new ArrayList<>();
        for (LabeledVolume v : volumes) {
            LabelTensor pred = inference.predict(model, v.image());
            predictions.add(pred);
            MetricsReport r = SegmentationMetrics.evaluate(pred, v.labels(), classes, spacing);
            for (int c = 0; c < classes; c++) {
                ClassMetrics m = r.row(c);
                if (m.emptiness() == ClassMetrics.Emptiness.BOTH_EMPTY) continue;
                counted[c]++;
                sum[0][c] += m.dice();
                sum[1][c] += m.iou();
                sum[2][c] += m.hd95();
                sum[3][c] += m.assd();
            }
        }
        for (double[] row : sum) for (int c = 0; c < classes; c++) row[c] = counted[c] == 0 ? Double.NaN : row[c] / counted[c];
        return new Validation(sum, predictions);
    }
}
