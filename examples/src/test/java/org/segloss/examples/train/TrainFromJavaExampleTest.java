package org.segloss.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.examples.train.RunConfig.LossSpec;
import org.segloss.examples.train.RunConfig.ModelSpec;
import org.segloss.examples.train.RunConfig.SamplerSpec;
import org.segloss.examples.train.RunConfig.TrainingSchedule;
import org.segloss.examples.train.RunConfig.ValidationSpec;
import org.segloss.examples.unet.SegmentationDataset;
import org.segloss.loss.DiceCELoss;

/**
 * README's "Training from Java": the same lines, at tiny sizes (16³ phantoms, patches of 8³, one
 * epoch of two steps) instead of the README's 64³, 32³ and 10 x 100. Keep the two in step.
 */
class TrainFromJavaExampleTest {
    @Test
    void theReadmeExampleTrains(@TempDir Path runs) throws Exception {
        Path out = runs.resolve("java");
        // ---- README: from here (sizes: 64 -> 16, 32 -> 8, 10, 100 -> 1, 2) ----
        var data = SegmentationDataset.phantoms(2026, 16, 4, 2);            // 4 training, 2 validation phantoms of 64³
        var config = new RunConfig(data,
                ModelSpec.defaults(),                                         // U-Net: depth 3, 8 base channels
                LossSpec.of(DiceCELoss.nnUnet(false)),                        // Dice + cross-entropy as nnU-Net
                new TrainingSchedule(1, 2, 3e-3f),                            // epochs, steps per epoch, AdamW lr (poly decay)
                SamplerSpec.of(8),                                            // 2 patches of 32³ per step, 1/3 on foreground
                ValidationSpec.defaults(),                                    // sliding windows of the patch size
                2026, null, out);                                             // seed, threads (null: as they are), output folder
        RunResult result = new Trainer(config).listener(new TrainingListener() {
            @Override public void onEpochEnd(EpochResult e) {
                System.out.printf("epoch %d  loss %.4f  Dice %s%n", e.epoch(), e.loss(), Arrays.toString(e.validation().dice()));
            }
        }).run();
        double meanDice = result.last().validation().meanForegroundDice();
        // ---- README: to here ----
        assertEquals(RunResult.Status.COMPLETED, result.status());
        assertTrue(meanDice >= 0 && meanDice <= 1, "mean Dice " + meanDice);
        for (String f : new String[] {RunOutputs.METRICS_FILE, RunOutputs.CHECKPOINT_FILE, RunOutputs.CURVES_FILE,
                RunOutputs.PREDICTION_NIFTI}) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
    }
}
