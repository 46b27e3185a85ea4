package org.segloss.example;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import org.segloss.autograd.Var;
import org.segloss.io.Nifti;
import org.segloss.io.NiftiImage;
import org.segloss.loss.DiceCELoss;
import org.segloss.metrics.MetricsReport;
import org.segloss.metrics.SegmentationMetrics;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * The README's program "The library from your Java project", compiled and run by
 * {@code ScorePredictionTest} so that it cannot rot: reads a prediction (class probabilities, a
 * 4-D NIfTI {@code [C, D, H, W]} such as {@code segloss predict --probabilities} writes) and a label
 * map, computes nnU-Net's Dice + CE loss and its gradient, and the metrics in mm.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp ... ScorePrediction probabilities.nii.gz truth.nii.gz</pre>
 */
public final class ScorePrediction {
    public static void main(String[] args) throws IOException {
        run(Path.of(args[0]), Path.of(args[1]), System.out);
    }

    /** Prints the loss, the gradient's size and the metric table; returns the loss. */
    public static float run(Path probabilitiesFile, Path truthFile, PrintStream out) throws IOException {
        Tensor probs = Nifti.readTensor(probabilitiesFile);           // [C, D, H, W]
        NiftiImage truthImage = Nifti.read(truthFile);
        LabelTensor truth = truthImage.toLabels();                    // [D, H, W]
        int c = probs.dim(0), d = probs.dim(1), h = probs.dim(2), w = probs.dim(3);

        // the losses take logits [B, C, D, H, W]; log p is one (softmax(log p) = p)
        Var logits = Var.param(probs.clamp(1e-6f, 1f).log().reshape(1, c, d, h, w));
        Var loss = DiceCELoss.nnUnet(false).forward(logits, truth.reshape(1, d, h, w));
        loss.backward();                                              // logits.grad(): [1, C, D, H, W]
        out.printf("Dice + CE loss %.4f, gradient %s, largest |dL/dlogit| %.3g%n", loss.value().item(), logits.grad().shape(),
                logits.grad().abs().max(new int[] {0, 1, 2, 3, 4}, false).item());

        MetricsReport report = SegmentationMetrics.evaluate(probs.argmax(0), truth, c, truthImage.spacing());   // mm
        out.print(report.toTable());
        return loss.value().item();
    }
}
