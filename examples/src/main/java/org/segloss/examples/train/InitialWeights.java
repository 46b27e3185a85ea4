package org.segloss.examples.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.segloss.nn.Checkpoint;
import org.segloss.nn.CheckpointException;
import org.segloss.nn.Module;
import org.segloss.tensor.Tensor;

/**
 * Weights a run starts from instead of the ones its seed draws ({@link RunConfig#initialWeights()}):
 * the parameters and buffers of a checkpoint file of an earlier run, or of a model in memory (a
 * finished run's network). Fine-tuning, e.g. Berman et al.'s Lovász-Softmax after cross-entropy.
 * Only the weights are taken: the run makes a fresh optimizer and draws its patches from its own
 * seed.
 *
 * <p>The run records {@link #id()} in its metadata ({@code init-weights}): the source and the first
 * 16 hex digits of a SHA-256 over the tensors' names, shapes and float bits, so a resume with other
 * weights under the same file name is refused.
 */
public final class InitialWeights {
    private final String source;
    private final Checkpoint weights;
    private final String fingerprint;

    private InitialWeights(String source, Checkpoint weights) {
        this.source = source;
        this.weights = weights;
        this.fingerprint = fingerprint(weights);
    }

    /**
     * The weights of a checkpoint file (e.g. a run's {@code checkpoint.ckpt}); its optimizer state
     * is ignored.
     *
     * @throws IOException when the file cannot be read or is damaged
     */
    public static InitialWeights read(Path checkpoint) throws IOException {
        if (checkpoint == null) throw new IllegalArgumentException("InitialWeights.read: checkpoint must not be null");
        return new InitialWeights(checkpoint.toString(), Checkpoint.read(checkpoint));
    }

    /**
     * A copy of {@code model}'s current parameters and buffers (later changes to the model do not
     * reach it).
     *
     * @param source what the weights are, for messages and the run's metadata (e.g. {@code "cross-entropy run, seed 2026"})
     */
    public static InitialWeights of(String source, Module model) {
        if (source == null || source.isBlank() || model == null) {
            throw new IllegalArgumentException("InitialWeights.of: source (non-blank) and model must be given, got '" + source + "' and "
                    + model);
        }
        return new InitialWeights(source, Checkpoint.of(model, null, 0, Map.of()));
    }

    /** Where the weights come from: the checkpoint's path or the name given to {@link #of}. */
    public String source() { return source; }

    /** The first 16 hex digits of the SHA-256 of the tensors (names, shapes, float bits). */
    public String fingerprint() { return fingerprint; }

    /** {@code source sha256:fingerprint}: what a run stores as {@code init-weights}. */
    public String id() { return source + " sha256:" + fingerprint; }

    /**
     * Copies the weights into {@code model}, in place, after checking every parameter and buffer:
     * a missing, extra or differently shaped tensor is an {@link IllegalArgumentException} that
     * names each one with both shapes, and nothing is changed.
     */
    public void applyTo(Module model) {
        try {
            weights.restore(model, null);
        } catch (CheckpointException e) {
            throw new IllegalArgumentException("initial weights " + source + ": they do not fit the run's U-Net: " + e.getMessage(), e);
        }
    }

    private static String fingerprint(Checkpoint c) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            digest(md, "p", c.parameters());
            digest(md, "b", c.buffers());
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }

    private static void digest(MessageDigest md, String kind, Map<String, Tensor> tensors) {
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            md.update((kind + ":" + e.getKey() + ":" + e.getValue().shape() + "\n").getBytes(StandardCharsets.UTF_8));
            float[] v = e.getValue().toArray();
            ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : v) b.putInt(Float.floatToRawIntBits(x));
            md.update(b.array());
        }
    }

    @Override
    public String toString() { return id(); }
}
