package org.segloss.conform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.segloss.autograd.Var;
import org.segloss.conform.CaseResult.Status;
import org.segloss.conform.Mapping.CaseInputs;
import org.segloss.conform.Mapping.ForDistanceMap;
import org.segloss.conform.Mapping.ForLoss;
import org.segloss.conform.Mapping.Reason;
import org.segloss.conform.Mapping.Unsupported;
import org.segloss.io.Npy;
import org.segloss.io.NpyArray;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Runs the cases of a {@link CaseFile}: maps each through {@link LossMapper}, computes the loss and
 * its gradient w.r.t. the saved input in float32 (through {@code pre_activation}), optionally
 * writes {@code <id>.loss.json} and {@code <id>.grad.npy} (or {@code <id>.dist.npy}) as
 * {@code check_npy.py} reads them, and compares with the expected values when the folder has them.
 */
public final class ConformanceRunner {
    private final CaseFile file;
    private final LossMapper mapper;

    public ConformanceRunner(CaseFile file, LossMapper mapper) {
        this.file = file;
        this.mapper = mapper;
    }

    public ConformanceRunner(CaseFile file) { this(file, new LossMapper()); }

    public CaseFile file() { return file; }

    /** Every case in order; {@code each} sees every result as soon as it is known. */
    public List<CaseResult> runAll(Path outDir, Consumer<CaseResult> each) throws IOException {
        if (outDir != null) Files.createDirectories(outDir);
        List<CaseResult> out = new ArrayList<>();
        for (CaseFile.Case c : file.cases()) {
            CaseResult r = run(c, outDir);
            each.accept(r);
            out.add(r);
        }
        return out;
    }

    /**
     * One case. Never throws for a case's own problems: a missing file, a shape mismatch or an
     * exception from the library is a FAIL with the message.
     *
     * @param outDir where to write the outputs, or null to only compare
     */
    public CaseResult run(CaseFile.Case c, Path outDir) {
        Mapping m = mapper.map(c);
        try {
            return switch (m) {
                case Unsupported u -> CaseResult.unsupported(c, u);
                case ForLoss l when c.task().equals("loss") -> runLoss(c, l, outDir);
                case ForDistanceMap d when c.task().equals("distance_map") -> runDistance(c, d, outDir);
                default -> fail(c, "LossMapper returned " + m.getClass().getSimpleName() + " for task \"" + c.task() + "\"");
            };
        } catch (IOException | RuntimeException e) {
            return fail(c, (m instanceof ForLoss l ? l.description() + ": " : "") + e);
        }
    }

    private CaseResult runLoss(CaseFile.Case c, ForLoss l, Path outDir) throws IOException {
        if (c.input() == null) return fail(c, "task \"loss\" needs an 'input'");
        String pre = c.preActivationOrNone();
        if (!pre.equals("none") && !pre.equals("softmax")) {
            return CaseResult.unsupported(c, new Unsupported(Reason.OPTION, "pre_activation \"" + pre + "\" (known: none, softmax)"));
        }
        Tensor input = load(c.input(), "input").toTensor();
        LabelTensor target = load(c.target(), "target").toLabels();
        Tensor distmap = null;
        if (c.auxInputs() != null && c.auxInputs().containsKey("distmap")) {
            distmap = load(c.auxInputs().get("distmap"), "aux_inputs.distmap").toTensor();
        }

        Var x = Var.param(input);
        // "softmax": the reference took probabilities; the expected gradient is w.r.t. the logits, through it
        Var in = pre.equals("softmax") ? x.softmax(1) : x;
        Var loss = l.call().apply(in, new CaseInputs(target, distmap));
        if (loss.value().size() != 1) return fail(c, l.description() + " returned shape " + loss.shape() + ", not a scalar");
        float value = loss.item();
        if (loss.requiresGrad()) loss.backward();
        Tensor grad = x.grad() != null ? x.grad() : Tensor.zeros(input.shape());

        if (outDir != null) {
            Files.writeString(outDir.resolve(c.id() + ".loss.json"), "{\"loss\": " + Double.toString(value) + "}\n",
                    StandardCharsets.UTF_8);
            Npy.write(outDir.resolve(c.id() + ".grad.npy"), grad);
        }

        CaseFile.Expected e = c.expected();
        Path lossFile = e.lossFile() == null ? null : file.dir().resolve(e.lossFile());
        Path gradFile = e.gradFile() == null ? null : file.dir().resolve(e.gradFile());
        boolean haveGrad = gradFile != null && Files.exists(gradFile);
        Double expLoss = lossFile != null && Files.exists(lossFile) ? Npy.read(lossFile).toDoubles()[0] : e.loss();
        if (!haveGrad && expLoss == null) {
            return new CaseResult(c, Status.COMPUTED, null, "loss " + value + " (no expected values)");
        }
        List<String> msgs = new ArrayList<>();
        boolean ok = true;
        if (expLoss == null) {
            ok = false;
            msgs.add("no expected loss");
        } else if (!Tolerance.LOSS.close(value, expLoss)) {
            ok = false;
            msgs.add(String.format("loss %s != %s (abs err %.3e)", value, expLoss, Math.abs(value - expLoss)));
        } else {
            msgs.add(String.format("loss abs err %.1e", Math.abs(value - expLoss)));
        }
        if (!haveGrad) {
            ok = false;
            msgs.add("missing " + e.gradFile());
        } else {
            ok &= compareArray("grad", grad, Npy.read(gradFile), msgs);
        }
        return new CaseResult(c, ok ? Status.PASS : Status.FAIL, null, String.join("; ", msgs));
    }

    private CaseResult runDistance(CaseFile.Case c, ForDistanceMap d, Path outDir) throws IOException {
        LabelTensor image = load(c.target(), "target").toLabels();
        Tensor dist = d.call().apply(image);
        if (outDir != null) Npy.write(outDir.resolve(c.id() + ".dist.npy"), dist);
        String distFile = c.expected().distFile();
        if (distFile == null || !Files.exists(file.dir().resolve(distFile))) {
            return new CaseResult(c, Status.COMPUTED, null, "distance map " + dist.shape() + " (no expected values)");
        }
        List<String> msgs = new ArrayList<>();
        boolean ok = compareArray("dist", dist, Npy.read(file.dir().resolve(distFile)), msgs);
        return new CaseResult(c, ok ? Status.PASS : Status.FAIL, null, String.join("; ", msgs));
    }

    /** Shape check, then {@link Tolerance#ARRAY}; appends check_npy.py-style messages. */
    private static boolean compareArray(String what, Tensor got, NpyArray expected, List<String> msgs) {
        int[] shape = expected.shape();
        if (!Arrays.equals(got.shape().dims(), shape)) {
            msgs.add(what + " shape " + got.shape() + " != " + Arrays.toString(shape));
            return false;
        }
        float[] g = got.toArray();
        double[] gd = new double[g.length];
        for (int i = 0; i < g.length; i++) gd[i] = g[i];
        double[] ex = expected.toDoubles();
        Tolerance.Comparison cmp = Tolerance.ARRAY.compare(gd, ex);
        if (cmp.ok()) {
            msgs.add(String.format("%s max abs err %.1e", what, cmp.maxAbsErr()));
            return true;
        }
        int w = cmp.worst();
        msgs.add(String.format("%s: %d/%d elements off, max abs err %.3e, worst at %s: got %s expected %s", what, cmp.off(),
                cmp.size(), cmp.maxAbsErr(), Tolerance.index(w, shape), g[w], ex[w]));
        return false;
    }

    /** Loads a case array and checks its declared shape. */
    private NpyArray load(CaseFile.ArraySpec spec, String field) throws IOException {
        if (spec == null || spec.file() == null) throw new IllegalArgumentException(field + ": 'file' is missing");
        NpyArray a = Npy.read(file.dir().resolve(spec.file()));
        if (spec.shape() != null) {
            int[] declared = spec.shape().stream().mapToInt(Integer::intValue).toArray();
            if (!Arrays.equals(declared, a.shape())) {
                throw new IllegalArgumentException(field + ": " + spec.file() + " must have the declared shape "
                        + Arrays.toString(declared) + ", got " + Arrays.toString(a.shape()));
            }
        }
        return a;
    }

    private static CaseResult fail(CaseFile.Case c, String why) {
        return new CaseResult(c, Status.FAIL, null, why);
    }
}
