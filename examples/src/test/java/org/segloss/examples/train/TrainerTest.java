package org.segloss.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.autograd.Var;
import org.segloss.cli.LossCatalog;
import org.segloss.examples.train.RunConfig.LossSpec;
import org.segloss.examples.train.RunConfig.ModelSpec;
import org.segloss.examples.train.RunConfig.SamplerSpec;
import org.segloss.examples.train.RunConfig.TrainingSchedule;
import org.segloss.examples.train.RunConfig.ValidationSpec;
import org.segloss.examples.unet.SegmentationDataset;
import org.segloss.examples.unet.UNet3d;
import org.segloss.loss.Loss;
import org.segloss.nn.Parameter;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

class TrainerTest {
    private static final long SEED = 2026;

    /** What {@code segloss train} builds for the default loss, so the checkpoint's metadata is the command's. */
    private static LossSpec catalogLoss(String spec) {
        LossCatalog.Built b = LossCatalog.build(LossCatalog.parse(spec, List.of()), 4);
        return new LossSpec(b.canonical(), b);
    }

    /** 16³ phantoms (1 + 1), patches of 8³, 1 epoch of 2 steps: the run of the CLI arguments in {@link #CLI_ARGS}. */
    private static RunConfig tiny(LossSpec loss, Integer threads, Path out) {
        return new RunConfig(SegmentationDataset.phantoms(SEED, 16, 1, 1), ModelSpec.defaults(), loss, new TrainingSchedule(1, 2, 3e-3f),
                SamplerSpec.of(8), ValidationSpec.defaults(), SEED, threads, out);
    }

    private static final String[] CLI_ARGS = {"train", "--volume-size", "16", "--patch", "8", "--epochs", "1", "--steps-per-epoch", "2",
        "--train-volumes", "1", "--val-volumes", "1", "--no-progress", "--threads", "1", "--out"};

    @Test
    void twoRunsInOneJvmGiveWhatAFreshProcessGives(@TempDir Path dir) throws Exception {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(3);
            RunResult a = new Trainer(tiny(catalogLoss(null), 1, dir.resolve("a"))).run();
            assertEquals(3, Parallel.threads(), "the run's --threads 1 is undone when it ends");
            Parallel.setThreads(2);
            RunResult b = new Trainer(tiny(catalogLoss(null), null, dir.resolve("b"))).run();
            assertEquals(2, Parallel.threads());
            assertEquals(RunResult.Status.COMPLETED, a.status());
            assertEquals(RunResult.Status.COMPLETED, b.status());
            assertEquals(a.last().loss(), b.last().loss());
            assertTrue(java.util.Arrays.deepEquals(a.last().validation().perClass(), b.last().validation().perClass()));
            byte[] ckptA = Files.readAllBytes(dir.resolve("a/checkpoint.ckpt"));
            assertArrayEquals(ckptA, Files.readAllBytes(dir.resolve("b/checkpoint.ckpt")));
            assertEquals(withoutSeconds(dir.resolve("a/metrics.csv")), withoutSeconds(dir.resolve("b/metrics.csv")));

            // the same run in a fresh JVM, through the command line
            String javaBin = ProcessHandle.current().info().command().orElseThrow();
            List<String> cmd = new ArrayList<>(List.of(javaBin, "--add-modules", "jdk.incubator.vector", "-cp",
                    System.getProperty("java.class.path"), "org.segloss.cli.Main"));
            cmd.addAll(List.of(CLI_ARGS));
            cmd.add(dir.resolve("child").toString());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), output);
            assertArrayEquals(ckptA, Files.readAllBytes(dir.resolve("child/checkpoint.ckpt")), output);
            assertEquals(withoutSeconds(dir.resolve("a/metrics.csv")), withoutSeconds(dir.resolve("child/metrics.csv")));
        } finally {
            Parallel.setThreads(before);
        }
    }

    private static List<String> withoutSeconds(Path csv) throws Exception {
        return Files.readAllLines(csv).stream().map(l -> l.substring(0, l.lastIndexOf(','))).toList();
    }

    @Test
    void sameSeedSameStartWhateverTheLoss(@TempDir Path dir) {
        UNet3d dice = Trainer.initialModel(tiny(catalogLoss("dice"), null, dir));
        UNet3d focal = Trainer.initialModel(tiny(catalogLoss("focal:gamma=1"), null, dir));
        List<Parameter> p = dice.parameters(), q = focal.parameters();
        assertEquals(p.size(), q.size());
        for (int i = 0; i < p.size(); i++) assertArrayEquals(p.get(i).value().toArray(), q.get(i).value().toArray(), "parameter " + i);
        RunConfig other = new RunConfig(SegmentationDataset.phantoms(SEED, 16, 1, 1), ModelSpec.defaults(), catalogLoss("dice"),
                new TrainingSchedule(1, 2, 3e-3f), SamplerSpec.of(8), ValidationSpec.defaults(), SEED + 1, null, dir);
        assertNotEquals(java.util.Arrays.toString(p.get(0).value().toArray()),
                java.util.Arrays.toString(Trainer.initialModel(other).parameters().get(0).value().toArray()));
        // the patches: the sampler's seed depends on the run's seed only
        assertEquals(Trainer.seeds(SEED), Trainer.seeds(SEED));
        assertNotEquals(Trainer.seeds(SEED).sampler(), Trainer.seeds(SEED + 1).sampler());
    }

    /** A loss that is fine for {@code finiteCalls} calls, then NaN. */
    private static final class FailsAfter implements Loss {
        private final Loss inner = LossCatalog.build("dice-ce", Map.of(), 4);
        private final int finiteCalls;
        private int calls;

        FailsAfter(int finiteCalls) { this.finiteCalls = finiteCalls; }

        @Override
        public Var forward(Var input, LabelTensor target) {
            Var v = inner.forward(input, target);
            return ++calls > finiteCalls ? v.mul(Float.NaN) : v;
        }

        @Override
        public Var forward(Var input, Tensor target) { return inner.forward(input, target); }
    }

    @Test
    void aDivergingLossEndsTheRunWithAResultNotAnException(@TempDir Path dir) throws Exception {
        int before = Parallel.threads();
        RunConfig config = new RunConfig(SegmentationDataset.phantoms(SEED, 16, 1, 1), ModelSpec.defaults(),
                new LossSpec("fails-after-3", new FailsAfter(3)), new TrainingSchedule(2, 2, 3e-3f), SamplerSpec.of(8),
                ValidationSpec.defaults(), SEED, before == 1 ? 2 : 1, dir);
        List<Integer> ended = new ArrayList<>();
        RunResult r = new Trainer(config).listener(new TrainingListener() {
            @Override
            public void onEpochEnd(EpochResult e) { ended.add(e.epoch()); }
        }).run();
        assertEquals(RunResult.Status.DIVERGED, r.status());
        assertEquals(new RunResult.Divergence(2, 2, Float.NaN, RunResult.Divergence.Cause.LOSS), r.divergence());
        assertEquals(List.of(1), ended);
        assertEquals(1, r.epochs().size());
        assertEquals(before, Parallel.threads(), "the thread count is restored after a divergence too");
        assertEquals(2, Files.readAllLines(dir.resolve("metrics.csv")).size(), "metrics.csv holds the finished epoch");
    }

    @Test
    void weightsBlownUpByAHugeLearningRateEndTheRunWithAResult(@TempDir Path dir) throws Exception {
        RunConfig config = new RunConfig(SegmentationDataset.phantoms(SEED, 16, 1, 1), ModelSpec.defaults(), catalogLoss(null),
                new TrainingSchedule(1, 4, 1e30f), SamplerSpec.of(8), ValidationSpec.defaults(), SEED, null, dir);
        RunResult r = new Trainer(config).run();
        assertEquals(RunResult.Status.DIVERGED, r.status());
        assertEquals(RunResult.Divergence.Cause.OUTPUT, r.divergence().cause(), r.divergence().toString());
        assertTrue(r.divergence().step() >= 2, "step 1 starts from the finite initial weights: " + r.divergence());
    }

    @Test
    void aTrainedModelPredictsAsTheRunValidated(@TempDir Path dir) throws Exception {
        RunConfig config = new RunConfig(SegmentationDataset.phantoms(SEED, 16, 1, 1), ModelSpec.defaults(), catalogLoss(null),
                new TrainingSchedule(1, 2, 3e-3f), SamplerSpec.of(8), new ValidationSpec(null, Postprocess.largest_component), SEED,
                null, dir);
        RunResult r = new Trainer(config).run();
        TrainedModel m = TrainedModel.load(dir.resolve(RunOutputs.CHECKPOINT_FILE), 1, 4);
        assertEquals(new Inference(8, Postprocess.largest_component), m.inference());
        LabelTensor predicted = m.predict(config.data().validation().get(0).image());
        assertArrayEquals(r.last().validation().predictions().get(0).toArray(), predicted.toArray());
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> TrainedModel.load(dir.resolve(RunOutputs.CHECKPOINT_FILE), 1, 3));
        assertTrue(x.getMessage().contains("does not fit a U-Net with 1 input channels and 3 classes"), x.getMessage());
    }

    @Test
    void badPartsAreRejectedWithTheParameterName(@TempDir Path dir) {
        assertEquals("--epochs must be > 0, got 0", assertThrows(IllegalArgumentException.class,
                () -> new TrainingSchedule(0, 1, 1e-3f)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RunConfig(SegmentationDataset.phantoms(SEED, 16, 1, 1),
                ModelSpec.defaults(), catalogLoss(null), new TrainingSchedule(1, 1, 1e-3f), SamplerSpec.of(32), ValidationSpec.defaults(),
                SEED, null, dir)).getMessage().contains("--patch 32 must fit the training volumes"));
        Trainer t = new Trainer(tiny(catalogLoss(null), null, dir));
        assertEquals("--stop-after-epoch must be in [1, 1], got 2", assertThrows(IllegalArgumentException.class,
                () -> t.stopAfterEpoch(2)).getMessage());
        assertNull(Trainer.metadataMismatch(Map.of("a", "1"), Map.of("a", "1")));
        Map<String, String> now = new java.util.LinkedHashMap<>();
        now.put("a", "2");
        now.put("b", "");
        assertEquals("--a: 1 in the checkpoint, 2 now; --b: (absent) in the checkpoint, (default) now",
                Trainer.metadataMismatch(Map.of("a", "1"), now));
    }
}
