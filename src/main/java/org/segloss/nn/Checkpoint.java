package org.segloss.nn;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;
import org.segloss.util.AtomicFiles;

/**
 * Everything needed to stop training and continue it exactly: the model's parameters and buffers
 * (BatchNorm running statistics), the optimizer's state ({@link OptimizerState}: buffers, step
 * count, learning rate, hyper-parameters), an epoch (or step) counter and a string→string
 * metadata map for the application (seed, loss, options, sampler RNG state...). Values are kept
 * as raw float32 bits, so a save → load round trip is bit-exact, and training resumed from a
 * checkpoint gives the same parameters, bit for bit, as training that never stopped (given the
 * same data order, which is the application's to store in the metadata).
 *
 * <p>Use: {@link #save(Path, Module, Optimizer, long, Map)} after an epoch;
 * {@link #load(Path, Module, Optimizer)} into a freshly built model and optimizer, then read
 * {@link #epoch()} and {@link #metadata()}. A snapshot is also a value: {@link #of},
 * {@link #write}, {@link #read}, {@link #restore}.
 *
 * <p>Not saved: gradients (zero them before the first step after a resume, as every step does
 * anyway). {@link Dropout}'s mask generator is a buffer ({@code rng_state}) and is saved.
 *
 * <h2>File layout (format version 1)</h2>
 * All integers and floats little-endian; a string is a u32 byte count then UTF-8 bytes.
 * <pre>
 * offset 0   8 bytes  magic "SEGLCKPT" (ASCII)
 *        8   u32      format version (1)
 *       12   u32      header length H in bytes
 *       16   H bytes  header:
 *                       i64     epoch
 *                       u32     metadata count; per entry: string key, string value
 *                       string  optimizer type ("" when no optimizer was saved); if not empty:
 *                         i64     steps
 *                         u32     settings count; per setting: string name, f32 value
 *                         u32     optimizer parameter count; per parameter: string dotted name
 *                       u32     tensor count; per tensor:
 *                         u8      kind: 0 parameter, 1 buffer, 2 optimizer buffer
 *                         string  name (dotted path; for kind 2 the parameter's name)
 *                         string  slot ("" for kinds 0 and 1; "m", "v", "momentum_buffer")
 *                         u8      dtype: 1 = float32 (the only one in version 1)
 *                         u8      rank; then rank × u32 dims (kind 2: rank 1, the length)
 *   16 + H   data: every tensor's elements in header order, row-major, f32 each
 *   end - 4  u32      CRC32C (java.util.zip.CRC32C) of every byte before it
 * </pre>
 * Files are written atomically: to a temporary file in the target's directory, forced to disk
 * ({@link FileChannel#force}), then moved over the target with {@code ATOMIC_MOVE}, so a crash
 * leaves either the old checkpoint or the new one, never half of one. The whole file is built in
 * memory, so a checkpoint must be under 2 GiB.
 *
 * <p>Reading checks, in order: the magic, the version (a newer one is refused with a message
 * naming both), the length the header promises (truncation), the checksum (corruption), then on
 * {@link #restore} the names and shapes against the model and optimizer (every difference in
 * one message). Nothing is changed unless everything fits; values are then copied into the
 * existing parameters and buffers in place, so optimizers and graphs holding them keep working.
 * Every failure is a {@link CheckpointException} naming the file. Spec: {@code spec/checkpoint.md}.
 */
public final class Checkpoint {
    /** The format version this build writes and the newest it reads. */
    public static final int FORMAT_VERSION = 1;

    private static final byte[] MAGIC = "SEGLCKPT".getBytes(StandardCharsets.US_ASCII);
    private static final int PREAMBLE = 16, CHECKSUM = 4;
    private static final int KIND_PARAMETER = 0, KIND_BUFFER = 1, KIND_OPTIMIZER = 2, DTYPE_FLOAT32 = 1;
    private static final String[] KIND_NAMES = {"parameter", "buffer", "optimizer buffer"};

    private final String source;
    private final Map<String, Tensor> parameters, buffers;
    private final OptimizerState optimizer;
    private final List<String> optimizerParameters;
    private final long epoch;
    private final Map<String, String> metadata;

    private Checkpoint(String source, Map<String, Tensor> parameters, Map<String, Tensor> buffers,
                       OptimizerState optimizer, List<String> optimizerParameters, long epoch, Map<String, String> metadata) {
        this.source = source;
        this.parameters = Collections.unmodifiableMap(parameters);
        this.buffers = Collections.unmodifiableMap(buffers);
        this.optimizer = optimizer;
        this.optimizerParameters = optimizerParameters == null ? null : List.copyOf(optimizerParameters);
        this.epoch = epoch;
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    // ---- the convenient pair ----------------------------------------------------------------

    /**
     * Saves the model, the optimizer (may be null), the epoch and the metadata to {@code file},
     * atomically.
     */
    public static void save(Path file, Module model, Optimizer opt, long epoch, Map<String, String> metadata) throws IOException {
        of(model, opt, epoch, metadata).write(file);
    }

    /**
     * Reads {@code file}, checks it and restores it into {@code model} and {@code opt} (may be
     * null, e.g. for inference; the file's optimizer state is then ignored). Returns the
     * checkpoint for its {@link #epoch()} and {@link #metadata()}.
     */
    public static Checkpoint load(Path file, Module model, Optimizer opt) throws IOException {
        Checkpoint c = read(file);
        c.restore(model, opt);
        return c;
    }

    // ---- snapshot ---------------------------------------------------------------------------

    /**
     * A snapshot (copies) of the model's parameters and buffers, the optimizer's state (opt may
     * be null; every parameter it updates must be one of the model's), {@code epoch} (>= 0) and
     * {@code metadata} (no null keys or values).
     */
    public static Checkpoint of(Module model, Optimizer opt, long epoch, Map<String, String> metadata) {
        if (model == null) throw new IllegalArgumentException("Checkpoint.of: model must not be null");
        if (epoch < 0) throw new IllegalArgumentException("Checkpoint.of: epoch must be >= 0, got " + epoch);
        if (metadata == null) throw new IllegalArgumentException("Checkpoint.of: metadata must not be null (use Map.of())");
        Map<String, String> meta = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException("Checkpoint.of: metadata keys and values must not be null, got " + e.getKey() + " -> " + e.getValue());
            }
            meta.put(e.getKey(), e.getValue());
        }
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) params.put(e.getKey(), e.getValue().value().copy());
        Map<String, Tensor> bufs = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.namedBuffers().entrySet()) bufs.put(e.getKey(), e.getValue().copy());
        OptimizerState state = null;
        List<String> names = null;
        if (opt != null) {
            names = optimizerNames("Checkpoint.of", model, opt);
            state = opt.state();
        }
        return new Checkpoint("checkpoint (in memory)", params, bufs, state, names, epoch, meta);
    }

    /** The dotted names, in the model, of the optimizer's parameters, in the optimizer's order. */
    private static List<String> optimizerNames(String op, Module model, Optimizer opt) {
        Map<Parameter, String> byIdentity = new IdentityHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) byIdentity.put(e.getValue(), e.getKey());
        List<String> names = new ArrayList<>();
        List<Parameter> ps = opt.parameters();
        for (int i = 0; i < ps.size(); i++) {
            String n = byIdentity.get(ps.get(i));
            if (n == null) {
                throw new IllegalArgumentException(op + ": optimizer parameter " + i + " (" + ps.get(i) + ") is not a parameter of the model");
            }
            names.add(n);
        }
        return names;
    }

    // ---- accessors --------------------------------------------------------------------------

    /** The epoch (or step) counter given to {@link #of}. */
    public long epoch() { return epoch; }

    /** The application's metadata, in the order given. */
    public Map<String, String> metadata() { return metadata; }

    /** The parameters by dotted name (copies owned by this checkpoint; do not modify). */
    public Map<String, Tensor> parameters() { return parameters; }

    /** The buffers by dotted name (copies owned by this checkpoint; do not modify). */
    public Map<String, Tensor> buffers() { return buffers; }

    /** The optimizer state, slots in {@link #optimizerParameters()} order, or null if none was saved. */
    public OptimizerState optimizerState() { return optimizer; }

    /** The dotted names of the saved optimizer's parameters, in its order, or null. */
    public List<String> optimizerParameters() { return optimizerParameters; }

    // ---- restore ----------------------------------------------------------------------------

    /**
     * Copies this checkpoint into {@code model} (parameters and buffers, in place) and
     * {@code opt} (may be null: the saved optimizer state is then ignored). Checks everything
     * first and changes nothing on a mismatch: every missing, extra or differently shaped
     * parameter or buffer is listed in one {@link CheckpointException}; so are an optimizer of
     * another type or with other hyper-parameters, and an optimizer given when none was saved.
     */
    public void restore(Module model, Optimizer opt) throws CheckpointException {
        if (model == null) throw new IllegalArgumentException("Checkpoint.restore: model must not be null");
        List<String> diffs = new ArrayList<>();
        Map<String, Tensor> modelParams = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) modelParams.put(e.getKey(), e.getValue().value());
        compare("parameter", parameters, modelParams, diffs);
        Map<String, Tensor> modelBuffers = model.namedBuffers();
        compare("buffer", buffers, modelBuffers, diffs);
        if (!diffs.isEmpty()) {
            throw new CheckpointException(source + ": does not match the model (" + diffs.size()
                    + (diffs.size() == 1 ? " difference): " : " differences): ") + String.join("; ", diffs));
        }
        if (opt != null) restoreOptimizer(model, opt);
        for (Map.Entry<String, Tensor> e : parameters.entrySet()) copyInto(e.getValue(), modelParams.get(e.getKey()));
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) copyInto(e.getValue(), modelBuffers.get(e.getKey()));
    }

    private static void compare(String kind, Map<String, Tensor> file, Map<String, Tensor> model, List<String> diffs) {
        for (Map.Entry<String, Tensor> e : model.entrySet()) {
            Tensor f = file.get(e.getKey());
            if (f == null) {
                diffs.add(kind + " '" + e.getKey() + "' " + e.getValue().shape() + " of the model is missing from the file");
            } else if (!f.shape().equals(e.getValue().shape())) {
                diffs.add(kind + " '" + e.getKey() + "' has shape " + f.shape() + " in the file but " + e.getValue().shape() + " in the model");
            }
        }
        for (Map.Entry<String, Tensor> e : file.entrySet()) {
            if (!model.containsKey(e.getKey())) {
                diffs.add(kind + " '" + e.getKey() + "' " + e.getValue().shape() + " is in the file but not in the model");
            }
        }
    }

    private void restoreOptimizer(Module model, Optimizer opt) throws CheckpointException {
        String type = opt.getClass().getSimpleName();
        if (optimizer == null) {
            throw new CheckpointException(source + ": holds no optimizer state, but an optimizer of type " + type
                    + " was given to restore into (pass null to load the model only)");
        }
        if (!optimizer.type().equals(type)) {
            throw new CheckpointException(source + ": holds the state of an optimizer of type " + optimizer.type()
                    + ", but the optimizer given is of type " + type);
        }
        List<String> names;
        try {
            names = optimizerNames("Checkpoint.restore", model, opt);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(source + ": " + e.getMessage(), e);
        }
        Map<String, Integer> fileIndex = new LinkedHashMap<>();
        for (int i = 0; i < optimizerParameters.size(); i++) fileIndex.put(optimizerParameters.get(i), i);
        List<String> diffs = new ArrayList<>();
        for (String n : names) if (!fileIndex.containsKey(n)) diffs.add("'" + n + "' is updated by the given " + type + " but not by the saved one");
        Set<String> given = new LinkedHashSet<>(names);
        for (String n : optimizerParameters) if (!given.contains(n)) diffs.add("'" + n + "' is updated by the saved " + type + " but not by the given one");
        if (!diffs.isEmpty()) {
            throw new CheckpointException(source + ": the optimizer's parameters differ: " + String.join("; ", diffs));
        }
        List<Map<String, float[]>> slots = new ArrayList<>();
        for (String n : names) slots.add(optimizer.slots().get(fileIndex.get(n)));
        try {
            opt.loadState(new OptimizerState(optimizer.type(), optimizer.steps(), optimizer.settings(), slots));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(source + ": the optimizer state does not fit: " + e.getMessage(), e);
        }
    }

    /** dst := src, bit for bit, in place (same shape, checked before). */
    private static void copyInto(Tensor src, Tensor dst) {
        float[] v = src.toArray();
        Tensor flat = dst.reshape(v.length);
        for (int i = 0; i < v.length; i++) flat.set(v[i], i);
    }

    // ---- write ------------------------------------------------------------------------------

    /** Writes this checkpoint to {@code file} atomically (layout on the class). */
    public void write(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("Checkpoint.write: file must not be null");
        List<Entry> entries = entries();
        Out h = new Out();
        h.i64(epoch);
        h.u32(metadata.size());
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            h.str(e.getKey());
            h.str(e.getValue());
        }
        if (optimizer == null) {
            h.str("");
        } else {
            h.str(optimizer.type());
            h.i64(optimizer.steps());
            h.u32(optimizer.settings().size());
            for (Map.Entry<String, Float> e : optimizer.settings().entrySet()) {
                h.str(e.getKey());
                h.f32(e.getValue());
            }
            h.u32(optimizerParameters.size());
            for (String n : optimizerParameters) h.str(n);
        }
        h.u32(entries.size());
        long data = 0;
        for (Entry e : entries) {
            h.u8(e.kind);
            h.str(e.name);
            h.str(e.slot);
            h.u8(DTYPE_FLOAT32);
            h.u8(e.dims.length);
            for (int d : e.dims) h.u32(d);
            data += 4L * e.values.length;
        }
        byte[] header = h.toByteArray();
        long total = PREAMBLE + (long) header.length + data + CHECKSUM;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IOException("checkpoint " + file + ": " + total + " bytes is more than this format's 2 GiB limit");
        }
        ByteBuffer b = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(FORMAT_VERSION).putInt(header.length).put(header);
        for (Entry e : entries) {
            b.asFloatBuffer().put(e.values);
            b.position(b.position() + 4 * e.values.length);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        b.flip();
        atomicWrite(file, ch -> {
            while (b.hasRemaining()) ch.write(b);
        });
    }

    private record Entry(int kind, String name, String slot, int[] dims, float[] values) {}

    private List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : parameters.entrySet()) {
            out.add(new Entry(KIND_PARAMETER, e.getKey(), "", e.getValue().shape().dims(), e.getValue().toArray()));
        }
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
            out.add(new Entry(KIND_BUFFER, e.getKey(), "", e.getValue().shape().dims(), e.getValue().toArray()));
        }
        if (optimizer != null) {
            for (int i = 0; i < optimizerParameters.size(); i++) {
                for (Map.Entry<String, float[]> s : optimizer.slots().get(i).entrySet()) {
                    float[] v = s.getValue();
                    out.add(new Entry(KIND_OPTIMIZER, optimizerParameters.get(i), s.getKey(), new int[] {v.length}, v));
                }
            }
        }
        return out;
    }

    /**
     * Writes {@code file} atomically through {@link AtomicFiles#write(Path, AtomicFiles.ContentWriter)}.
     * Package-private so tests can make {@code content} fail.
     */
    static void atomicWrite(Path file, AtomicFiles.ContentWriter content) throws IOException {
        AtomicFiles.write(file, content);
    }

    /** A little-endian header builder. */
    private static final class Out extends ByteArrayOutputStream {
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void u8(int v) { write(v); }

        void u32(int v) { write(scratch.clear().putInt(v).array(), 0, 4); }

        void i64(long v) { write(scratch.clear().putLong(v).array(), 0, 8); }

        void f32(float v) { u32(Float.floatToRawIntBits(v)); }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u32(b.length);
            write(b, 0, b.length);
        }
    }

    // ---- read -------------------------------------------------------------------------------

    /** Reads and checks {@code file} (magic, version, length, checksum, header); see the class. */
    public static Checkpoint read(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("Checkpoint.read: file must not be null");
        String src = "checkpoint " + file;
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < MAGIC.length || !java.util.Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            byte[] head = java.util.Arrays.copyOf(bytes, Math.min(bytes.length, MAGIC.length));
            throw new CheckpointException(src + ": not a segloss checkpoint: starts with bytes " + HexFormat.of().formatHex(head)
                    + ", expected the magic \"SEGLCKPT\" (" + HexFormat.of().formatHex(MAGIC) + ")");
        }
        if (bytes.length < PREAMBLE + CHECKSUM) {
            throw new CheckpointException(src + ": is truncated: " + bytes.length + " bytes, shorter than the "
                    + (PREAMBLE + CHECKSUM) + "-byte minimum");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int version = b.getInt(8);
        if (version > FORMAT_VERSION) {
            throw new CheckpointException(src + ": has format version " + version + ", newer than " + FORMAT_VERSION
                    + ", the newest this build of segloss reads; use a newer segloss");
        }
        if (version < 1) throw new CheckpointException(src + ": has format version " + version + ", which does not exist (versions start at 1)");
        long headerLength = Integer.toUnsignedLong(b.getInt(12));
        if (PREAMBLE + headerLength + CHECKSUM > bytes.length) {
            throw new CheckpointException(src + ": is truncated: " + bytes.length + " bytes, but the header alone needs "
                    + (PREAMBLE + headerLength + CHECKSUM));
        }
        int end = bytes.length - CHECKSUM;
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, end);
        int stored = b.getInt(end), computed = (int) crc.getValue();
        if (stored != computed) {
            long expected = -1;
            try {
                expected = parse(src, b, (int) headerLength, false).expectedLength;
            } catch (CheckpointException | RuntimeException ignored) {
                // the header itself is damaged; the checksum message below says so
            }
            if (expected > bytes.length) {
                throw new CheckpointException(src + ": is truncated (or its header corrupt; the CRC32C checksum fails): " + bytes.length
                        + " bytes, but its header describes " + expected);
            }
            throw new CheckpointException(src + ": is corrupt: CRC32C checksum is " + String.format("%08x", computed)
                    + " but the file records " + String.format("%08x", stored));
        }
        Parsed p = parse(src, b, (int) headerLength, true);
        if (p.expectedLength != bytes.length) {
            throw new CheckpointException(src + ": is " + bytes.length + " bytes, but its header describes " + p.expectedLength);
        }
        return p.checkpoint;
    }

    private record Parsed(long expectedLength, Checkpoint checkpoint) {}

    /** Parses the header at 16 and, if {@code data}, the tensors after it. */
    private static Parsed parse(String src, ByteBuffer b, int headerLength, boolean data) throws CheckpointException {
        ByteBuffer h = b.slice(PREAMBLE, headerLength).order(ByteOrder.LITTLE_ENDIAN);
        try {
            long epoch = h.getLong();
            if (epoch < 0) throw corrupt(src, "epoch is " + epoch);
            int nMeta = count(src, h, "metadata");
            Map<String, String> meta = new LinkedHashMap<>();
            for (int i = 0; i < nMeta; i++) {
                String k = str(src, h);
                if (meta.put(k, str(src, h)) != null) throw corrupt(src, "metadata key '" + k + "' appears twice");
            }
            String type = str(src, h);
            long steps = 0;
            Map<String, Float> settings = new LinkedHashMap<>();
            List<String> optNames = null;
            if (!type.isEmpty()) {
                steps = h.getLong();
                if (steps < 0) throw corrupt(src, "optimizer steps is " + steps);
                int nSet = count(src, h, "settings");
                for (int i = 0; i < nSet; i++) {
                    String k = str(src, h);
                    if (settings.put(k, h.getFloat()) != null) throw corrupt(src, "optimizer setting '" + k + "' appears twice");
                }
                int nOpt = count(src, h, "optimizer parameter");
                optNames = new ArrayList<>();
                for (int i = 0; i < nOpt; i++) optNames.add(str(src, h));
                if (new LinkedHashSet<>(optNames).size() != optNames.size()) throw corrupt(src, "an optimizer parameter is listed twice");
            }
            int nEntries = count(src, h, "tensor");
            List<Entry> entries = new ArrayList<>();
            long expected = PREAMBLE + (long) headerLength + CHECKSUM;
            for (int i = 0; i < nEntries; i++) {
                int kind = Byte.toUnsignedInt(h.get());
                String name = str(src, h), slot = str(src, h);
                int dtype = Byte.toUnsignedInt(h.get());
                int rank = Byte.toUnsignedInt(h.get());
                if (kind > KIND_OPTIMIZER) throw corrupt(src, "tensor '" + name + "' has unknown kind " + kind);
                if (dtype != DTYPE_FLOAT32) throw corrupt(src, "tensor '" + name + "' has dtype " + dtype + ", expected 1 (float32)");
                int[] dims = new int[rank];
                long size = 1;
                for (int d = 0; d < rank; d++) {
                    dims[d] = h.getInt();
                    if (dims[d] < 0) throw corrupt(src, "tensor '" + name + "' has a negative dimension " + dims[d]);
                    size *= dims[d];
                    if (size > Integer.MAX_VALUE) throw corrupt(src, "tensor '" + name + "' has " + size + "+ elements");
                }
                if (kind == KIND_OPTIMIZER && (rank != 1 || optNames == null || !optNames.contains(name) || slot.isEmpty())) {
                    throw corrupt(src, "optimizer buffer '" + slot + "' of '" + name + "' does not belong to a saved optimizer parameter");
                }
                entries.add(new Entry(kind, name, slot, dims, null));
                expected += 4 * size;
            }
            if (h.hasRemaining()) throw corrupt(src, h.remaining() + " unread bytes at the end of the header");
            if (!data) return new Parsed(expected, null);

            ByteBuffer d = b.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(PREAMBLE + headerLength);
            Map<String, Tensor> params = new LinkedHashMap<>(), bufs = new LinkedHashMap<>();
            List<Map<String, float[]>> slots = new ArrayList<>();
            if (optNames != null) for (int i = 0; i < optNames.size(); i++) slots.add(new LinkedHashMap<>());
            for (Entry e : entries) {
                int n = Shape.of(e.dims).size();
                float[] v = new float[n];
                d.asFloatBuffer().get(v);
                d.position(d.position() + 4 * n);
                Object previous = switch (e.kind) {
                    case KIND_PARAMETER -> params.put(e.name, Tensor.wrap(v, e.dims));
                    case KIND_BUFFER -> bufs.put(e.name, Tensor.wrap(v, e.dims));
                    default -> slots.get(optNames.indexOf(e.name)).put(e.slot, v);
                };
                if (previous != null) throw corrupt(src, KIND_NAMES[e.kind] + " '" + e.name + (e.slot.isEmpty() ? "" : "' slot '" + e.slot) + "' appears twice");
            }
            OptimizerState state = type.isEmpty() ? null : new OptimizerState(type, steps, settings, slots);
            return new Parsed(expected, new Checkpoint(src, params, bufs, state, optNames, epoch, meta));
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw corrupt(src, "the header ends early");
        } catch (IllegalArgumentException e) {
            throw corrupt(src, e.getMessage());
        }
    }

    private static int count(String src, ByteBuffer h, String what) throws CheckpointException {
        int n = h.getInt();
        // every item takes at least 4 header bytes, so a larger count is damage, not a big file
        if (n < 0 || n > h.remaining() / 4) throw corrupt(src, what + " count " + Integer.toUnsignedString(n) + " exceeds the header");
        return n;
    }

    private static String str(String src, ByteBuffer h) throws CheckpointException {
        int n = h.getInt();
        if (n < 0 || n > h.remaining()) throw corrupt(src, "a string of " + Integer.toUnsignedString(n) + " bytes exceeds the header");
        byte[] s = new byte[n];
        h.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static CheckpointException corrupt(String src, String what) {
        return new CheckpointException(src + ": is corrupt: " + what);
    }
}
