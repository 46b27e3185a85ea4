package org.segloss.examples.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.segloss.examples.unet.LabeledVolume;
import org.segloss.examples.unet.Phantoms;
import org.segloss.tensor.LabelTensor;

/** Run results made without training: 16³ phantoms as truth, a prediction with a few labels changed per (loss, seed). */
final class StudyFixtures {
    private StudyFixtures() {}

    static final String[] CLASSES = {"background", "organ", "structure", "lesion"};

    /**
     * A finished run whose prediction is the truth with each voxel relabelled with probability
     * {@code flip} (drawn from the run's key), or a diverged run when the loss name starts with "nan".
     */
    static RunResult result(RunKey key, double flip) {
        return result(key, flip, key.loss());
    }

    /** As {@link #result(RunKey, double)}, the random changes drawn as for loss {@code rngLoss} (same name, same prediction). */
    static RunResult result(RunKey key, double flip, String rngLoss) {
        return result(key, flip, rngLoss, 16);
    }

    /** As {@link #result(RunKey, double, String)} on phantoms of side {@code size}. */
    static RunResult result(RunKey key, double flip, String rngLoss, int size) {
        List<String> fg = List.of("organ", "structure", "lesion");
        long mix = key.seed() * 31 + rngLoss.hashCode() * 17L + key.data().hashCode();
        if (key.loss().startsWith("nan")) {
            return new RunResult(key, RunResult.Status.DIVERGED, "loss NaN at epoch 1, step 3", fg, 0, 12.5, 1.25,
                    List.of(), List.of(), Map.of("loss", key.loss()));
        }
        List<LabeledVolume> truths = new ArrayList<>();
        List<LabelTensor> preds = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(mix);
        for (int v = 0; v < 2; v++) {
            LabeledVolume t = Phantoms.generate(key.seed() + 1000 + v, size);
            int[] p = t.labels().toArray();
            for (int i = 0; i < p.length; i++) if (r.nextDouble() < flip) p[i] = r.nextInt(4);
            truths.add(t);
            preds.add(LabelTensor.of(p, size, size, size));
        }
        List<RunResult.Epoch> curve = List.of(new RunResult.Epoch(1, 1.5, List.of(0.5, 0.4, 0.1)),
                new RunResult.Epoch(2, 0.9, List.of(0.8 - flip, 0.7 - flip, Math.max(0, 0.3 - flip))));
        return new RunResult(key, RunResult.Status.FINISHED, "", fg, 2, 40 + (mix & 7), 3.5 + 10 * flip + (mix & 3), curve,
                RunResult.score(preds, truths, CLASSES, new double[] {1, 1, 1}), Map.of("loss", key.loss(), "epochs", "2"));
    }
}
