package org.segloss.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.cli.LossCatalog;
import org.segloss.examples.train.RunConfig.LossSpec;
import org.segloss.examples.train.RunConfig.ModelSpec;
import org.segloss.examples.train.RunConfig.SamplerSpec;
import org.segloss.examples.train.RunConfig.TrainingSchedule;
import org.segloss.examples.train.RunConfig.ValidationSpec;
import org.segloss.examples.unet.SegmentationDataset;
import org.segloss.examples.unet.UNet3d;
import org.segloss.nn.Checkpoint;
import org.segloss.tensor.Tensor;

/** A run that starts from given weights: a checkpoint file or a model in memory; shapes checked; resume exact. */
class InitialWeightsTest {
    private static final SegmentationDataset DATA = SegmentationDataset.phantoms(7, 16, 1, 1);

    private static LossSpec loss(String spec) {
        LossCatalog.Built b = LossCatalog.build(LossCatalog.parse(spec, List.of()), DATA.classes());
        return new LossSpec(b.canonical(), b);
    }

    private static RunConfig config(String loss, ModelSpec model, int epochs, long seed, Path out) {
        return new RunConfig(DATA, model, loss(loss), new TrainingSchedule(epochs, 2, 3e-3f), SamplerSpec.of(8), ValidationSpec.defaults(),
                seed, 1, out);
    }

    private static void assertSameWeights(Map<String, Tensor> expected, UNet3d model) {
        assertEquals(expected.keySet(), model.namedParameters().keySet());
        for (var e : model.namedParameters().entrySet()) {
            assertArrayEquals(expected.get(e.getKey()).toArray(), e.getValue().value().toArray(), e.getKey());
        }
    }

    @Test
    void aRunStartsFromACheckpointOrAModelInMemoryAndResumesExactly(@TempDir Path dir) throws Exception {
        ModelSpec m = ModelSpec.defaults();
        assertEquals(RunResult.Status.COMPLETED, new Trainer(config("cross-entropy", m, 1, 1, dir.resolve("ce"))).run().status());
        Path ckpt = dir.resolve("ce").resolve(RunOutputs.CHECKPOINT_FILE);
        Map<String, Tensor> ceWeights = Checkpoint.read(ckpt).parameters();

        InitialWeights fromFile = InitialWeights.read(ckpt);
        RunConfig tuned = config("lovasz-softmax", m, 2, 2, dir.resolve("tuned")).withInitialWeights(fromFile);
        assertSameWeights(ceWeights, Trainer.initialModel(tuned));
        UNet3d fromSeed = Trainer.initialModel(tuned.withInitialWeights(null));
        assertFalse(java.util.Arrays.equals(ceWeights.values().iterator().next().toArray(),
                fromSeed.namedParameters().values().iterator().next().value().toArray()), "the seed alone draws other weights");
        assertEquals(ckpt + " sha256:" + fromFile.fingerprint(), tuned.metadata().get("init-weights"));
        assertFalse(tuned.withInitialWeights(null).metadata().containsKey("init-weights"), "runs from the seed keep their metadata");

        // the same weights in memory: the same run, bit for bit (the source's name aside)
        UNet3d ceModel = TrainedModel.load(ckpt, DATA.channels(), DATA.classes()).model();
        InitialWeights inMemory = InitialWeights.of("cross-entropy run", ceModel);
        assertEquals(fromFile.fingerprint(), inMemory.fingerprint());
        new Trainer(tuned).run();
        new Trainer(tuned.withOut(dir.resolve("tuned-mem")).withInitialWeights(inMemory)).run();
        Map<String, Tensor> a = Checkpoint.read(dir.resolve("tuned").resolve(RunOutputs.CHECKPOINT_FILE)).parameters();
        Map<String, Tensor> b = Checkpoint.read(dir.resolve("tuned-mem").resolve(RunOutputs.CHECKPOINT_FILE)).parameters();
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toArray(), b.get(k).toArray(), k);

        // stopped after epoch 1 and resumed: the uninterrupted run's weights
        RunConfig split = tuned.withOut(dir.resolve("split"));
        assertEquals(RunResult.Status.STOPPED, new Trainer(split).stopAfterEpoch(1).run().status());
        assertEquals(RunResult.Status.COMPLETED, new Trainer(split).resume().status());
        Map<String, Tensor> c = Checkpoint.read(dir.resolve("split").resolve(RunOutputs.CHECKPOINT_FILE)).parameters();
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toArray(), c.get(k).toArray(), k);

        // other weights under the same name are refused on resume
        RunConfig other = split.withInitialWeights(InitialWeights.of(ckpt.toString(), fromSeed));
        RunSetupException e = assertThrows(RunSetupException.class, () -> new Trainer(other).resume());
        assertTrue(e.getMessage().contains("--init-weights: " + ckpt + " sha256:"), e.getMessage());
    }

    @Test
    void weightsOfAnotherShapeNameTheTensor(@TempDir Path dir) throws Exception {
        ModelSpec small = new ModelSpec(3, 4, false);
        InitialWeights w = InitialWeights.of("a narrow U-Net", small.build(DATA.channels(), DATA.classes(), 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> config("dice-ce", ModelSpec.defaults(), 1, 1, dir).withInitialWeights(w));
        assertTrue(e.getMessage().startsWith("initial weights a narrow U-Net: they do not fit the run's U-Net: "), e.getMessage());
        assertTrue(e.getMessage().matches("(?s).*parameter '[^']+' has shape \\[\\d+(, \\d+)*\\] in the file but \\[\\d+(, \\d+)*\\] in the model.*"),
                e.getMessage());
        // another depth: tensors missing, too
        InitialWeights deep = InitialWeights.of("a deeper U-Net", new ModelSpec(4, 8, false).build(DATA.channels(), DATA.classes(), 1));
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> config("dice-ce", ModelSpec.defaults(), 1, 1, dir).withInitialWeights(deep));
        assertTrue(e2.getMessage().contains("is in the file but not in the model"), e2.getMessage());
    }
}
