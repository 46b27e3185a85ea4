package org.segloss.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Checkpoints: bit-exact round trips, resume equivalence (N + M steps in one go equal N steps,
 * save, load into fresh objects, M steps), and every way a file can be wrong.
 */
class CheckpointTest {
    @TempDir
    Path dir;

    /** Conv, BatchNorm (buffers), LeakyReLU, Dropout (RNG buffer), conv: every kind of state. */
    private static Sequential net(long seed, int mid) {
        return new Sequential(new Conv3d(1, mid, seed), new BatchNorm3d(mid), new LeakyReLU(), new Dropout(0.2f, seed + 7),
                new Conv3d(mid, 1, seed + 1));
    }

    private static Sequential net(long seed) {
        return net(seed, 2);
    }

    private static Optimizer adamW(Module m) {
        return new AdamW(m.parameters(), 0.01f, 0.9f, 0.99f, 1e-8f, 0.01f);
    }

    private static Optimizer sgd(Module m) {
        return new SGD(m.parameters(), 0.05f, 0.9f, true, 3e-5f);
    }

    private static final LrSchedule SCHEDULE = LrSchedule.poly(0.02f, 20);

    /** Training step s on a fixed problem: the target copies the input's sign. */
    private static void step(Module net, Optimizer opt, int s) {
        Tensor x = Tensor.randn(1000 + s, 2, 1, 4, 4, 4);
        float[] t = x.toArray();
        for (int i = 0; i < t.length; i++) t[i] = t[i] > 0 ? 1f : 0f;
        opt.lr(SCHEDULE.lr(s));
        opt.zeroGrad();
        Var l = net.forward(Var.constant(x)).sub(Tensor.wrap(t, 2, 1, 4, 4, 4)).square().mean();
        l.backward();
        opt.step();
    }

    private static void train(Module net, Optimizer opt, int from, int to) {
        for (int s = from; s < to; s++) step(net, opt, s);
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
        return b;
    }

    private static void assertSameState(Module expected, Module actual) {
        assertEquals(expected.namedParameters().keySet(), actual.namedParameters().keySet());
        for (String n : expected.namedParameters().keySet()) {
            assertArrayEquals(bits(expected.namedParameters().get(n).value().toArray()), bits(actual.namedParameters().get(n).value().toArray()),
                    "parameter " + n);
        }
        assertEquals(expected.namedBuffers().keySet(), actual.namedBuffers().keySet());
        for (String n : expected.namedBuffers().keySet()) {
            assertArrayEquals(bits(expected.namedBuffers().get(n).toArray()), bits(actual.namedBuffers().get(n).toArray()), "buffer " + n);
        }
    }

    private static void assertSameState(OptimizerState expected, OptimizerState actual) {
        assertEquals(expected.type(), actual.type());
        assertEquals(expected.steps(), actual.steps());
        assertEquals(expected.settings(), actual.settings());
        assertEquals(expected.slots().size(), actual.slots().size());
        for (int i = 0; i < expected.slots().size(); i++) {
            assertEquals(expected.slots().get(i).keySet(), actual.slots().get(i).keySet(), "slots of parameter " + i);
            for (String k : expected.slots().get(i).keySet()) {
                assertArrayEquals(bits(expected.slots().get(i).get(k)), bits(actual.slots().get(i).get(k)), k + " of parameter " + i);
            }
        }
    }

    private static final Map<String, String> META = meta();

    private static Map<String, String> meta() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("seed", "42");
        m.put("loss", "dice+ce");
        m.put("sampler.rng", "-6795186427218736105");
        m.put("", "empty key");
        m.put("note", "µ ∂ ✓ \n tab\t");
        return m;
    }

    // ---- round trips ------------------------------------------------------------------------

    private void roundTrip(Function<Module, Optimizer> optimizer) throws IOException {
        Sequential a = net(1);
        Optimizer oa = optimizer.apply(a);
        train(a, oa, 0, 3);
        Path f = dir.resolve("model.ckpt");
        Checkpoint.save(f, a, oa, 3, META);

        Sequential b = net(99);
        Optimizer ob = optimizer.apply(b);
        Checkpoint c = Checkpoint.load(f, b, ob);
        assertEquals(3, c.epoch());
        assertEquals(META, c.metadata());
        assertEquals(List.copyOf(META.keySet()), List.copyOf(c.metadata().keySet()), "metadata order");
        assertSameState(a, b);
        assertSameState(oa.state(), ob.state());
        assertEquals(oa.lr(), ob.lr());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void adamWRoundTripIsBitExact() throws IOException {
        roundTrip(CheckpointTest::adamW);
    }

    @Test
    void sgdMomentumRoundTripIsBitExact() throws IOException {
        roundTrip(CheckpointTest::sgd);
    }

    @Test
    void specialValuesRoundTrip() throws IOException {
        Sequential a = net(1);
        Tensor w = a.namedParameters().get("0.bias").value();
        w.set(-0f, 0);
        w.set(Float.MIN_VALUE, 1);
        a.namedBuffers().get("1.running_mean").set(Float.NEGATIVE_INFINITY, 0);
        Path f = dir.resolve("x.ckpt");
        Checkpoint.save(f, a, null, Long.MAX_VALUE, Map.of());
        Sequential b = net(2);
        Checkpoint c = Checkpoint.load(f, b, null);
        assertSameState(a, b);
        assertEquals(Long.MAX_VALUE, c.epoch());
        assertNull(c.optimizerState());
    }

    /** A parameter w [2] and a buffer b [1]: small enough to spell the whole file out. */
    private static final class Tiny extends Module {
        final Parameter w = register(new Parameter("w", Tensor.of(new float[] {1.5f, -2f}, 2)));
        final Tensor b = registerBuffer("b", Tensor.of(new float[] {3f}, 1));

        @Override
        public Var forward(Var x) {
            return x.mul(w.var());
        }
    }

    /** The bytes are exactly the layout documented on Checkpoint and in spec/checkpoint.md. */
    @Test
    void theFileIsTheDocumentedLayout() throws IOException {
        Tiny t = new Tiny();
        SGD opt = new SGD(t.parameters(), 0.1f, 0.5f, false, 0f);
        t.w.var().mul(Tensor.of(new float[] {1f, 2f}, 2)).sum().backward();
        opt.step();
        Path f = dir.resolve("tiny.ckpt");
        Checkpoint.save(f, t, opt, 5, Map.of("k", "v"));

        ByteBuffer h = ByteBuffer.allocate(1000).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        h.putLong(5);
        h.putInt(1);
        putString(h, "k");
        putString(h, "v");
        putString(h, "SGD");
        h.putLong(0);
        h.putInt(4);
        putString(h, "lr");
        h.putFloat(0.1f);
        putString(h, "momentum");
        h.putFloat(0.5f);
        putString(h, "nesterov");
        h.putFloat(0f);
        putString(h, "weightDecay");
        h.putFloat(0f);
        h.putInt(1);
        putString(h, "w");
        h.putInt(3);
        putEntry(h, 0, "w", "", 2);
        putEntry(h, 1, "b", "", 1);
        putEntry(h, 2, "w", "momentum_buffer", 2);
        int headerLength = h.position();

        ByteBuffer e = ByteBuffer.allocate(16 + headerLength + 4 * 5 + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        e.put("SEGLCKPT".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(1).putInt(headerLength);
        e.put(h.array(), 0, headerLength);
        float[] w = t.w.value().toArray();
        assertArrayEquals(new float[] {1.4f, -2.2f}, w, 1e-6f);
        e.putFloat(w[0]).putFloat(w[1]).putFloat(3f).putFloat(1f).putFloat(2f); // w, b, momentum buffer = first gradient
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(e.array(), 0, e.position());
        e.putInt((int) crc.getValue());
        assertArrayEquals(e.array(), Files.readAllBytes(f));
    }

    private static void putString(ByteBuffer b, String s) {
        byte[] u = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        b.putInt(u.length).put(u);
    }

    private static void putEntry(ByteBuffer b, int kind, String name, String slot, int size) {
        b.put((byte) kind);
        putString(b, name);
        putString(b, slot);
        b.put((byte) 1).put((byte) 1).putInt(size);
    }

    // ---- resume equivalence -----------------------------------------------------------------

    private void resumeEquivalence(Function<Module, Optimizer> optimizer) throws IOException {
        int n = 4, m = 3;
        Sequential straight = net(5);
        Optimizer os = optimizer.apply(straight);
        train(straight, os, 0, n + m);

        Sequential first = net(5);
        Optimizer of = optimizer.apply(first);
        train(first, of, 0, n);
        Path f = dir.resolve("run.ckpt");
        Checkpoint.save(f, first, of, n, Map.of("seed", "5"));

        Sequential resumed = net(1234); // another init and dropout seed: the checkpoint must overwrite both
        Optimizer or = optimizer.apply(resumed);
        int epoch = (int) Checkpoint.load(f, resumed, or).epoch();
        train(resumed, or, epoch, n + m);

        assertSameState(straight, resumed);
        assertSameState(os.state(), or.state());
        Tensor probe = Tensor.randn(77, 1, 1, 4, 4, 4);
        straight.eval();
        resumed.eval();
        assertArrayEquals(bits(straight.forward(Var.constant(probe)).value().toArray()),
                bits(resumed.forward(Var.constant(probe)).value().toArray()), "eval outputs");
    }

    @Test
    void resumingAdamWContinuesTheRunBitForBit() throws IOException {
        resumeEquivalence(CheckpointTest::adamW);
    }

    @Test
    void resumingSgdNesterovContinuesTheRunBitForBit() throws IOException {
        resumeEquivalence(CheckpointTest::sgd);
    }

    @Test
    void dropoutStreamIsSplittableRandomsAndLivesInItsBuffer() {
        // the mask stream equals SplittableRandom(seed).nextDouble() >= p, as before the state became a buffer
        Dropout d = new Dropout(0.5f, -3);
        float[] y = d.forward(Var.constant(Tensor.ones(1000))).value().toArray();
        java.util.SplittableRandom r = new java.util.SplittableRandom(-3);
        for (int i = 0; i < y.length; i++) assertEquals(r.nextDouble() >= 0.5 ? 2f : 0f, y[i], "element " + i);
        float[] next = d.forward(Var.constant(Tensor.ones(10))).value().toArray();
        for (int i = 0; i < next.length; i++) assertEquals(r.nextDouble() >= 0.5 ? 2f : 0f, next[i], "second forward, element " + i);
        for (float f : d.namedBuffers().get("rng_state").toArray()) assertTrue(f >= 0 && f <= 65535 && f == Math.rint(f), "16-bit chunk " + f);
    }

    // ---- bad files --------------------------------------------------------------------------

    private Path saved() throws IOException {
        Sequential a = net(1);
        Optimizer o = adamW(a);
        train(a, o, 0, 1);
        Path f = dir.resolve("bad.ckpt");
        Checkpoint.save(f, a, o, 1, META);
        return f;
    }

    private static String fails(Path f, Module m, Optimizer o) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(f, m, o));
        assertTrue(e.getMessage().startsWith("checkpoint " + f + ": "), "names the file: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), "'" + p + "' in: " + message);
    }

    @Test
    void aFlippedDataByteFailsTheChecksum() throws IOException {
        Path f = saved();
        byte[] b = Files.readAllBytes(f);
        b[b.length - 20] ^= 0x10;
        Files.write(f, b);
        Sequential m = net(2);
        Map<String, float[]> before = values(m);
        assertContains(fails(f, m, adamW(m)), "is corrupt: CRC32C checksum is");
        assertUnchanged(before, m);
    }

    @Test
    void aFlippedHeaderByteFailsTheChecksum() throws IOException {
        Path f = saved();
        byte[] b = Files.readAllBytes(f);
        b[40] ^= 0x01;
        Files.write(f, b);
        assertContains(fails(f, net(2), null), "is corrupt");
    }

    @Test
    void aTruncatedFileSaysSo() throws IOException {
        Path f = saved();
        byte[] b = Files.readAllBytes(f);
        for (int len : new int[] {b.length - 1, b.length / 2, 60, 17, 8, 3, 0}) {
            Files.write(f, java.util.Arrays.copyOf(b, len));
            String msg = fails(f, net(2), null);
            assertTrue(msg.contains("is truncated") || (len < 8 && msg.contains("not a segloss checkpoint")), len + " bytes: " + msg);
        }
    }

    @Test
    void wrongMagicIsNotACheckpoint() throws IOException {
        Path f = saved();
        byte[] b = Files.readAllBytes(f);
        b[0] = 'X';
        Files.write(f, b);
        assertContains(fails(f, net(2), null), "not a segloss checkpoint", "expected the magic \"SEGLCKPT\"");
    }

    @Test
    void aNewerVersionIsRefusedByName() throws IOException {
        Path f = saved();
        byte[] b = Files.readAllBytes(f);
        ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(8, 2);
        Files.write(f, b);
        assertContains(fails(f, net(2), null), "format version 2, newer than 1");
    }

    @Test
    void aMismatchedShapeIsListedAndNothingChanges() throws IOException {
        Path f = saved();
        Sequential m = net(2, 3);
        Optimizer o = adamW(m);
        Map<String, float[]> before = values(m);
        String msg = fails(f, m, o);
        assertContains(msg, "does not match the model (7 differences)",
                "parameter '0.weight' has shape [2, 1, 3, 3, 3] in the file but [3, 1, 3, 3, 3] in the model",
                "parameter '4.weight' has shape [1, 2, 3, 3, 3] in the file but [1, 3, 3, 3, 3] in the model",
                "buffer '1.running_mean' has shape [2] in the file but [3] in the model");
        assertUnchanged(before, m);
        assertEquals(0, ((AdamW) o).steps(), "optimizer untouched");
    }

    @Test
    void aMissingParameterIsListed() throws IOException {
        Sequential small = new Sequential(new Conv3d(1, 2, 1), new BatchNorm3d(2));
        Path f = dir.resolve("small.ckpt");
        Checkpoint.save(f, small, null, 0, Map.of());
        Sequential big = new Sequential(new Conv3d(1, 2, 1), new BatchNorm3d(2), new Conv3d(2, 1, 3));
        assertContains(fails(f, big, null), "(2 differences)", "parameter '2.weight' [1, 2, 3, 3, 3] of the model is missing from the file",
                "parameter '2.bias' [1] of the model is missing from the file");
    }

    @Test
    void anExtraParameterIsListed() throws IOException {
        Sequential big = new Sequential(new Conv3d(1, 2, 1), new BatchNorm3d(2), new Conv3d(2, 1, 3));
        Path f = dir.resolve("big.ckpt");
        Checkpoint.save(f, big, null, 0, Map.of());
        Sequential small = new Sequential(new Conv3d(1, 2, 1), new InstanceNorm3d(2));
        assertContains(fails(f, small, null), "parameter '2.weight' [1, 2, 3, 3, 3] is in the file but not in the model",
                "buffer '1.running_var' [2] is in the file but not in the model");
    }

    @Test
    void anotherOptimizerTypeIsRefused() throws IOException {
        Path f = saved();
        Sequential m = net(2);
        assertContains(fails(f, m, sgd(m)), "holds the state of an optimizer of type AdamW, but the optimizer given is of type SGD");
    }

    @Test
    void otherHyperParametersAreRefused() throws IOException {
        Path f = saved();
        Sequential m = net(2);
        assertContains(fails(f, m, new AdamW(m.parameters(), 0.01f, 0.9f, 0.999f, 1e-8f, 0.01f)),
                "optimizer state does not fit", "beta2 is 0.99 in the state but 0.999 in this optimizer");
    }

    @Test
    void optimizerOverOtherParametersIsRefused() throws IOException {
        Path f = saved();
        Sequential m = net(2);
        List<Parameter> some = new ArrayList<>(m.parameters());
        some.remove(0);
        assertContains(fails(f, m, new AdamW(some, 0.01f, 0.9f, 0.99f, 1e-8f, 0.01f)),
                "the optimizer's parameters differ: '0.weight' is updated by the saved AdamW but not by the given one");
    }

    @Test
    void anOptimizerWithoutSavedStateIsRefusedAndNullSkipsTheOptimizer() throws IOException {
        Sequential a = net(1);
        Path f = dir.resolve("noopt.ckpt");
        Checkpoint.save(f, a, null, 0, Map.of());
        Sequential m = net(2);
        assertContains(fails(f, m, adamW(m)), "holds no optimizer state, but an optimizer of type AdamW was given");
        Checkpoint.load(saved(), m, null); // the saved AdamW state is ignored
    }

    @Test
    void badArgumentsNameTheParameter() {
        Sequential a = net(1);
        assertContains(assertThrows(IllegalArgumentException.class, () -> Checkpoint.of(a, null, -1, Map.of())).getMessage(),
                "epoch must be >= 0, got -1");
        Map<String, String> nullValue = new LinkedHashMap<>();
        nullValue.put("k", null);
        assertContains(assertThrows(IllegalArgumentException.class, () -> Checkpoint.of(a, null, 0, nullValue)).getMessage(), "metadata");
        Optimizer foreign = adamW(net(3));
        assertContains(assertThrows(IllegalArgumentException.class, () -> Checkpoint.of(a, foreign, 0, Map.of())).getMessage(),
                "optimizer parameter 0", "is not a parameter of the model");
    }

    // ---- atomic write -----------------------------------------------------------------------

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path f = saved();
        byte[] old = Files.readAllBytes(f);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.atomicWrite(f, ch -> {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
            throw new IOException("disk full (simulated)");
        }));
        assertEquals("disk full (simulated)", e.getMessage());
        assertArrayEquals(old, Files.readAllBytes(f));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
        Checkpoint.load(f, net(2), null);
    }

    @Test
    void savingReplacesAnExistingFile() throws IOException {
        Path f = saved();
        Sequential a = net(3);
        Checkpoint.save(f, a, null, 7, Map.of("v", "2"));
        Sequential b = net(4);
        assertEquals(7, Checkpoint.load(f, b, null).epoch());
        assertSameState(a, b);
    }

    // ---- module buffers and optimizer state -------------------------------------------------

    @Test
    void buffersAreNamedLikeParameters() {
        Sequential a = net(1);
        assertEquals(List.of("1.running_mean", "1.running_var", "3.rng_state"), List.copyOf(a.namedBuffers().keySet()));
        a.namedBuffers().get("1.running_mean").set(5f, 1);
        assertEquals(5f, ((BatchNorm3d) a.children().get("1")).runningMean().get(1), "buffers are live");
    }

    @Test
    void loadStateChecksSizesAndChangesNothingOnFailure() {
        Sequential a = net(1);
        Optimizer o = sgd(a);
        train(a, o, 0, 1);
        OptimizerState s = o.state();
        List<Map<String, float[]>> slots = new ArrayList<>(s.slots());
        slots.set(0, Map.of("momentum_buffer", new float[3]));
        OptimizerState bad = new OptimizerState("SGD", 0, s.settings(), slots);
        assertContains(assertThrows(IllegalArgumentException.class, () -> o.loadState(bad)).getMessage(),
                "buffer 'momentum_buffer' of parameter 0", "has 3 values, expected 54");
        assertSameState(s, o.state());
        OptimizerState fewer = new OptimizerState("SGD", 0, s.settings(), s.slots().subList(0, 2));
        assertContains(assertThrows(IllegalArgumentException.class, () -> o.loadState(fewer)).getMessage(), "has 2 parameters, expected 6");
    }

    private static Map<String, float[]> values(Module m) {
        Map<String, float[]> v = new LinkedHashMap<>();
        m.namedParameters().forEach((k, p) -> v.put(k, p.value().toArray()));
        m.namedBuffers().forEach((k, t) -> v.put("buffer " + k, t.toArray()));
        return v;
    }

    private static void assertUnchanged(Map<String, float[]> before, Module m) {
        Map<String, float[]> now = values(m);
        for (String k : before.keySet()) assertArrayEquals(bits(before.get(k)), bits(now.get(k)), k + " unchanged");
        assertFalse(before.isEmpty());
    }
}
