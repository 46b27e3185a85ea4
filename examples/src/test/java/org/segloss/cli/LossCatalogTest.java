package org.segloss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.loss.BoundaryLoss;
import org.segloss.loss.BoundarySchedule;
import org.segloss.loss.CrossEntropyLoss;
import org.segloss.loss.DiceCELoss;
import org.segloss.loss.DiceLoss;
import org.segloss.loss.FocalLoss;
import org.segloss.loss.FocalTverskyLoss;
import org.segloss.loss.GeneralizedDiceLoss;
import org.segloss.loss.Loss;
import org.segloss.loss.TverskyLoss;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

class LossCatalogTest {
    private static final int C = 4;

    private static Tensor logits(int batch) { return Tensor.randn(7, batch, C, 8, 8, 8).mul(2f); }

    private static LabelTensor labels(int batch) { return LabelTensor.randomLabels(11, C, batch, 8, 8, 8); }

    private static float value(String name, Map<String, String> options, int batch, int epoch) {
        LossCatalog.Built b = LossCatalog.build(name, options, C);
        b.onEpoch(epoch, 100);
        return b.forward(Var.constant(logits(batch)), labels(batch)).item();
    }

    private static IllegalArgumentException fails(String name, Map<String, String> options) {
        return assertThrows(IllegalArgumentException.class, () -> LossCatalog.build(name, options, C));
    }

    private static void assertContains(String text, String... parts) {
        for (String p : parts) assertTrue(text.contains(p), () -> "expected '" + p + "' in: " + text);
    }

    @Test
    void everyNameBuildsWithDefaultsAndGivesAFiniteLossAndGradient() {
        for (String name : LossCatalog.names()) {
            LossCatalog.Built b = LossCatalog.build(name, Map.of(), C);
            for (int epoch : b.scheduled() ? new int[] {0, 50} : new int[] {0}) {
                b.onEpoch(epoch, 100);
                Var x = Var.param(logits(1));
                Var l = b.forward(x, labels(1));
                assertEquals(1, l.shape().size(), name);
                assertTrue(Float.isFinite(l.item()), name + ": loss " + l.item());
                l.backward();
                Tensor g = x.grad();
                assertTrue(g != null && g.isFinite(), name + ": gradient not finite");
                float[] ga = g.toArray();
                boolean nonZero = false;
                for (float v : ga) nonZero |= v != 0f;
                assertTrue(nonZero, name + " epoch " + epoch + ": gradient is all zero");
            }
        }
    }

    @Test
    void namesCoverTheIssueListAndDefaultIsDiceCe() {
        assertEquals(LossCatalog.DEFAULT, LossCatalog.names().get(0));
        assertTrue(LossCatalog.names().containsAll(List.of("dice-ce", "dice", "jaccard", "sudre-dice", "generalized-dice",
                "cross-entropy", "weighted-cross-entropy", "focal", "sensitivity-specificity", "tversky", "focal-tversky", "exp-log",
                "overlap", "focal-positive", "left-atrium", "lovasz-softmax", "generalized-wasserstein-dice", "boundary",
                "hausdorff-dt")));
        assertTrue(LossCatalog.notApplicable().containsKey("lovasz-hinge"));
    }

    @Test
    void defaultIsNnUnetDiceCe() {
        Var x = Var.constant(logits(2));
        float expected = DiceCELoss.nnUnet(false).forward(x, labels(2)).item();
        LossCatalog.Built b = LossCatalog.build(LossCatalog.parse(null, List.of()), C);
        assertEquals("dice-ce", b.name());
        assertEquals(expected, b.forward(x, labels(2)).item(), 0f);
    }

    /** The seven names segloss train had before the catalog keep their losses (same builders, same defaults). */
    @Test
    void previousTrainLossesAreUnchanged() {
        Map<String, Loss> before = new LinkedHashMap<>();
        before.put("dice-ce", DiceCELoss.nnUnet(false));
        before.put("dice", DiceLoss.builder().includeBackground(false).build());
        before.put("generalized-dice", GeneralizedDiceLoss.create());
        before.put("tversky", TverskyLoss.builder().includeBackground(false).build());
        before.put("focal-tversky", FocalTverskyLoss.builder().includeBackground(false).build());
        before.put("cross-entropy", CrossEntropyLoss.create());
        before.put("focal", FocalLoss.create());
        Var x = Var.constant(logits(2));
        before.forEach((name, loss) ->
                assertEquals(loss.forward(x, labels(2)).item(), LossCatalog.build(name, Map.of(), C).forward(x, labels(2)).item(), 0f, name));
    }

    /**
     * Every option of every loss, with base options and a value that must change the loss on a
     * random batch of 2 (boundary at epoch 50, where its schedule has moved).
     */
    private static final List<String[]> CHANGES = List.of(
            // name, base options (k=v;k=v or ""), changed option k=v
            new String[] {"dice-ce", "", "include-background=true"},
            new String[] {"dice-ce", "", "batch=true"},
            new String[] {"dice-ce", "", "smooth-nr=1"},
            new String[] {"dice-ce", "", "smooth-dr=1"},
            new String[] {"dice-ce", "", "squared-pred=true"},
            new String[] {"dice-ce", "", "jaccard=true"},
            new String[] {"dice-ce", "", "lambda-dice=0.5"},
            new String[] {"dice-ce", "", "lambda-ce=0.5"},
            new String[] {"dice-ce", "", "label-smoothing=0.1"},
            new String[] {"dice-ce", "", "weight=[1,2,3,4]"},
            new String[] {"dice-ce", "", "ignore-index=3"},
            new String[] {"dice-ce", "", "reduction=sum"},
            new String[] {"dice", "", "include-background=true"},
            new String[] {"dice", "", "batch=true"},
            new String[] {"dice", "", "smooth-nr=1"},
            new String[] {"dice", "", "smooth-dr=1"},
            new String[] {"dice", "", "squared-pred=true"},
            new String[] {"dice", "", "jaccard=true"},
            new String[] {"dice", "", "weight=[1,2,3]"},
            new String[] {"dice", "", "ignore-index=3"},
            new String[] {"dice", "", "reduction=sum"},
            new String[] {"jaccard", "", "include-background=true"},
            new String[] {"jaccard", "", "batch=true"},
            new String[] {"jaccard", "", "smooth-nr=1"},
            new String[] {"jaccard", "", "smooth-dr=1"},
            new String[] {"jaccard", "", "weight=[1,2,3]"},
            new String[] {"jaccard", "", "ignore-index=3"},
            new String[] {"jaccard", "", "reduction=sum"},
            new String[] {"sudre-dice", "", "foreground-channel=2"},
            new String[] {"sudre-dice", "", "epsilon=10"},
            new String[] {"sudre-dice", "", "batch=true"},
            new String[] {"sudre-dice", "", "ignore-index=2"},
            new String[] {"sudre-dice", "", "reduction=sum"},
            new String[] {"generalized-dice", "", "include-background=false"},
            new String[] {"generalized-dice", "", "weight-type=simple"},
            new String[] {"generalized-dice", "", "variant=segloss"},
            new String[] {"generalized-dice", "", "smooth-nr=1"},
            new String[] {"generalized-dice", "", "smooth-dr=1"},
            new String[] {"generalized-dice", "", "batch=true"},
            new String[] {"generalized-dice", "", "ignore-index=3"},
            new String[] {"generalized-dice", "", "reduction=sum"},
            new String[] {"cross-entropy", "", "weight=[1,2,3,4]"},
            new String[] {"cross-entropy", "", "label-smoothing=0.1"},
            new String[] {"cross-entropy", "", "ignore-index=3"},
            new String[] {"cross-entropy", "", "reduction=sum"},
            new String[] {"weighted-cross-entropy", "", "weight-source=reference"},
            new String[] {"weighted-cross-entropy", "", "ignore-index=3"},
            new String[] {"weighted-cross-entropy", "", "reduction=sum"},
            new String[] {"focal", "", "gamma=0"},
            new String[] {"focal", "", "alpha=0.25"},
            new String[] {"focal", "", "alpha-per-class=[0.1,0.2,0.3,0.4]"},
            new String[] {"focal", "", "include-background=false"},
            new String[] {"focal", "include-background=false", "variant=monai"},
            new String[] {"focal", "", "weight=[1,2,3,4]"},
            new String[] {"focal", "", "ignore-index=3"},
            new String[] {"focal", "", "reduction=sum"},
            new String[] {"sensitivity-specificity", "", "lambda=0.5"},
            new String[] {"sensitivity-specificity", "", "epsilon=100"},
            new String[] {"sensitivity-specificity", "", "batch=true"},
            new String[] {"sensitivity-specificity", "", "form=sum-over-classes"},
            new String[] {"sensitivity-specificity", "", "include-background=false"},
            new String[] {"sensitivity-specificity", "", "weight=[1,2,3,4]"},
            new String[] {"sensitivity-specificity", "", "ignore-index=3"},
            new String[] {"sensitivity-specificity", "", "reduction=sum"},
            new String[] {"tversky", "", "alpha=0.3"},
            new String[] {"tversky", "", "beta=0.7"},
            new String[] {"tversky", "", "smooth-nr=1"},
            new String[] {"tversky", "", "smooth-dr=1"},
            new String[] {"tversky", "", "batch=true"},
            new String[] {"tversky", "", "form=negative"},
            new String[] {"tversky", "", "include-background=true"},
            new String[] {"tversky", "", "weight=[1,2,3]"},
            new String[] {"tversky", "", "ignore-index=3"},
            new String[] {"tversky", "", "reduction=sum"},
            new String[] {"asymmetric-similarity", "", "f-beta=1"},
            new String[] {"asymmetric-similarity", "", "smooth-nr=1"},
            new String[] {"asymmetric-similarity", "", "smooth-dr=1"},
            new String[] {"asymmetric-similarity", "", "batch=true"},
            new String[] {"asymmetric-similarity", "", "include-background=true"},
            new String[] {"asymmetric-similarity", "", "weight=[1,2,3]"},
            new String[] {"asymmetric-similarity", "", "ignore-index=3"},
            new String[] {"asymmetric-similarity", "", "reduction=sum"},
            new String[] {"focal-tversky", "", "alpha=0.5"},
            new String[] {"focal-tversky", "", "beta=0.5"},
            new String[] {"focal-tversky", "", "exponent=1"},
            new String[] {"focal-tversky", "", "smooth-nr=1"},
            new String[] {"focal-tversky", "", "smooth-dr=1"},
            new String[] {"focal-tversky", "", "batch=true"},
            new String[] {"focal-tversky", "", "form=mean-then-power"},
            new String[] {"focal-tversky", "", "include-background=true"},
            new String[] {"focal-tversky", "", "weight=[1,2,3]"},
            new String[] {"focal-tversky", "", "ignore-index=3"},
            new String[] {"focal-tversky", "", "reduction=sum"},
            new String[] {"exp-log", "", "form=segloss"},
            new String[] {"exp-log", "", "gamma-dice=1"},
            new String[] {"exp-log", "", "gamma-cross=1"},
            new String[] {"exp-log", "", "weight-dice=0.5"},
            new String[] {"exp-log", "", "weight-cross=0.5"},
            new String[] {"exp-log", "", "epsilon=10"},
            new String[] {"exp-log", "", "batch=false"},
            new String[] {"exp-log", "", "ce-weight=[1,2,3,4]"},
            new String[] {"exp-log", "", "include-background=false"},
            new String[] {"exp-log", "", "ignore-index=3"},
            new String[] {"overlap", "", "smooth-dr=1000"},
            new String[] {"overlap", "", "include-background=true"},
            new String[] {"overlap", "", "weight=[1,2,3]"},
            new String[] {"overlap", "", "ignore-index=3"},
            new String[] {"overlap", "", "reduction=sum"},
            new String[] {"focal-positive", "", "gamma=0"},
            new String[] {"focal-positive", "", "ignore-index=3"},
            new String[] {"left-atrium", "", "lambda-overlap=0"},
            new String[] {"left-atrium", "", "lambda-focal-positive=0"},
            new String[] {"left-atrium", "", "gamma=0"},
            new String[] {"left-atrium", "", "include-background=true"},
            new String[] {"left-atrium", "", "ignore-index=3"},
            new String[] {"lovasz-softmax", "", "classes=[1,2]"},
            new String[] {"lovasz-softmax", "", "per-image=true"},
            new String[] {"lovasz-softmax", "", "include-background=false"},
            new String[] {"lovasz-softmax", "", "ignore-index=3"},
            new String[] {"lovasz-softmax", "", "reduction=sum"},
            new String[] {"generalized-wasserstein-dice", "", "distance-matrix=[0,1,1,1,1,0,0.5,0.5,1,0.5,0,0.5,1,0.5,0.5,0]"},
            new String[] {"generalized-wasserstein-dice", "", "weighting=gdl"},
            new String[] {"generalized-wasserstein-dice", "", "smooth-nr=100"},
            new String[] {"generalized-wasserstein-dice", "", "smooth-dr=100"},
            new String[] {"generalized-wasserstein-dice", "", "ignore-index=3"},
            new String[] {"generalized-wasserstein-dice", "", "reduction=sum"},
            new String[] {"boundary", "", "schedule=steal-weight"},
            new String[] {"boundary", "", "step=0.02"},
            new String[] {"boundary", "", "floor=0.9"},
            new String[] {"boundary", "schedule=steal-weight", "initial-boundary=0.5"},
            new String[] {"boundary", "", "idc=[1]"},
            new String[] {"boundary", "", "convention=liviaets"},
            new String[] {"boundary", "", "spacing=[1,1,2]"},
            new String[] {"hausdorff-dt", "", "alpha=1"},
            new String[] {"hausdorff-dt", "", "include-background=true"},
            new String[] {"hausdorff-dt", "", "batch=true"},
            new String[] {"hausdorff-dt", "", "log=true"},
            new String[] {"hausdorff-dt", "", "spacing=[1,1,2]"},
            new String[] {"hausdorff-dt", "", "dice-weight=1"},
            new String[] {"hausdorff-dt", "", "weight=[1,2,3]"},
            new String[] {"hausdorff-dt", "", "reduction=sum"});

    private static Map<String, String> opts(String s) {
        Map<String, String> m = new LinkedHashMap<>();
        if (s.isEmpty()) return m;
        for (String kv : s.split(";")) {
            int eq = kv.indexOf('=');
            m.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return m;
    }

    @Test
    void everyOptionChangesTheValue() {
        Set<String> tested = new HashSet<>();
        for (String[] row : CHANGES) {
            Map<String, String> base = opts(row[1]);
            Map<String, String> changed = new LinkedHashMap<>(base);
            changed.putAll(opts(row[2]));
            float v0 = value(row[0], base, 2, 50), v1 = value(row[0], changed, 2, 50);
            assertTrue(Float.isFinite(v1), row[0] + " " + row[2]);
            assertNotEquals(v0, v1, row[0] + " with " + row[2] + " should differ from " + (row[1].isEmpty() ? "the defaults" : row[1]));
            tested.add(row[0] + " " + row[2].substring(0, row[2].indexOf('=')));
        }
        for (String name : LossCatalog.names()) {
            for (String key : LossCatalog.options(name)) {
                assertTrue(tested.contains(name + " " + key), "no test row for option " + key + " of " + name);
            }
        }
    }

    @Test
    void tverskyWithHalfWeightsIsDiceWithDoubleSmoothingAndWithUnitWeightsIsJaccard() {
        // TI(1/2, 1/2) = (2I + 2 s_n)/(P + G + 2 s_d): TverskyLoss Javadoc and spec/losses/tversky.md
        float t = value("tversky", Map.of("alpha", "0.5", "beta", "0.5", "smooth-nr", "1", "smooth-dr", "1"), 2, 0);
        float d = value("dice", Map.of("smooth-nr", "2", "smooth-dr", "2"), 2, 0);
        assertEquals(d, t, 1e-6f);
        // TI(1, 1) = (I + s)/(P + G - I + s): the jaccard loss with the same smoothing
        float t1 = value("tversky", Map.of("alpha", "1", "beta", "1", "smooth-nr", "1", "smooth-dr", "1"), 2, 0);
        float j = value("jaccard", Map.of("smooth-nr", "1", "smooth-dr", "1"), 2, 0);
        assertEquals(j, t1, 1e-6f);
        // asymmetric similarity with F-beta 1 is alpha = beta = 1/2
        assertEquals(t, value("asymmetric-similarity", Map.of("f-beta", "1", "smooth-nr", "1", "smooth-dr", "1"), 2, 0), 1e-6f);
    }

    @Test
    void boundaryScheduleAdvancesAsBoundarySchedule() {
        Var x = Var.constant(logits(2));
        LabelTensor y = labels(2);
        float gdl = GeneralizedDiceLoss.create().forward(x, y).item();
        float bl = BoundaryLoss.create().forward(x, y).item();
        LossCatalog.Built b = LossCatalog.build("boundary", Map.of(), C);
        assertTrue(b.scheduled());
        BoundarySchedule ref = BoundarySchedule.paper(GeneralizedDiceLoss.create(), BoundaryLoss.create());
        float previous = Float.NaN;
        for (int epoch : new int[] {0, 1, 10, 99}) {
            ref.setEpoch(epoch);
            float expected = ref.regionWeight() * gdl + ref.boundaryWeight() * bl;
            float got = b.lossForEpoch(epoch, 100).forward(x, y).item();
            assertEquals(expected, got, 1e-5f * Math.max(1f, Math.abs(expected)), "epoch " + epoch);
            assertNotEquals(previous, got, "epoch " + epoch);
            previous = got;
        }
        b.onEpoch(0, 100);
        assertEquals(gdl, b.forward(x, y).item(), 1e-6f, "epoch 0 of the paper schedule is the GDL alone");
        // steal-weight: (max(0.1, 1 - 0.01 e), 0.01 + 0.01 e)
        LossCatalog.Built s = LossCatalog.build("boundary", Map.of("schedule", "steal-weight"), C);
        s.onEpoch(20, 100);
        assertEquals(0.8f * gdl + 0.21f * bl, s.forward(x, y).item(), 1e-5f);
        // an unscheduled loss ignores the epoch
        LossCatalog.Built d = LossCatalog.build("dice", Map.of(), C);
        assertFalse(d.scheduled());
        assertEquals(d.lossForEpoch(0, 5).forward(x, y).item(), d.lossForEpoch(4, 5).forward(x, y).item(), 0f);
        assertContains(assertThrows(IllegalArgumentException.class, () -> b.onEpoch(5, 5)).getMessage(), "epoch", "[0, 5)", "5");
    }

    @Test
    void unknownAndNotApplicableNamesListTheValidOnes() {
        String m = fails("dicee", Map.of()).getMessage();
        assertContains(m, "unknown loss 'dicee'", "valid names:", "dice-ce", "tversky", "hausdorff-dt", "lovasz-hinge");
        String h = fails("lovasz-hinge", Map.of()).getMessage();
        assertContains(h, "not applicable", "one raw logit channel", "lovasz-softmax", "valid names:");
        // case and underscores are forgiven
        assertEquals("focal-tversky", LossCatalog.build("Focal_Tversky", Map.of(), C).catalogName());
    }

    @Test
    void unknownOrForeignOptionListsTheLossOptions() {
        String m = fails("tversky", Map.of("gama", "2")).getMessage();
        assertContains(m, "loss 'tversky'", "unknown option 'gama'", "tversky takes:", "alpha", "beta", "smooth-nr", "include-background");
        // an option of another loss is not silently ignored
        assertContains(fails("dice", Map.of("alpha", "0.3")).getMessage(), "unknown option 'alpha'", "dice takes:");
        // options that have no effect in the chosen configuration are errors too
        assertContains(fails("boundary", Map.of("initial-boundary", "0.5")).getMessage(), "initial-boundary", "no effect", "schedule=paper");
        assertContains(fails("exp-log", Map.of("form", "segloss", "gamma-cross", "1")).getMessage(), "gamma-cross", "no effect");
        assertContains(fails("focal", Map.of("variant", "monai")).getMessage(), "variant", "no effect", "include-background=true");
        // checked when built, not at the first forward
        assertContains(fails("lovasz-softmax", Map.of("classes", "[0,2]", "include-background", "false")).getMessage(), "classes",
                "class 0", "include-background=false");
        assertContains(fails("focal", Map.of("alpha", "0.2", "alpha-per-class", "[1,1,1,1]")).getMessage(), "alpha-per-class", "alpha");
        assertContains(fails("dice-ce", Map.of("lambda-ce", "0", "label-smoothing", "0.1")).getMessage(), "label-smoothing", "lambda-ce=0");
        assertContains(fails("dice-ce", Map.of("lambda-dice", "0", "batch", "true")).getMessage(), "'batch'", "lambda-dice=0");
        assertContains(fails("left-atrium", Map.of("lambda-focal-positive", "0", "gamma", "1")).getMessage(), "'gamma'", "no effect");
        assertContains(fails("generalized-dice", Map.of("variant", "segloss-v2", "batch", "true", "smooth-nr", "1")).getMessage(),
                "'smooth-nr'", "segloss-v2");
        // MONAI's underscore spelling is the same key
        assertEquals(value("dice", Map.of("include-background", "true"), 1, 0), value("dice", Map.of("include_background", "true"), 1, 0));
    }

    @Test
    void badValuesAreExplained() {
        assertContains(fails("tversky", Map.of("alpha", "abc")).getMessage(), "option 'alpha'", "must be a number", ">= 0", "'abc'");
        assertContains(fails("tversky", Map.of("alpha", "-1")).getMessage(), "option 'alpha'", ">= 0", "-1");
        assertContains(fails("tversky", Map.of("alpha", "NaN")).getMessage(), "option 'alpha'", "finite");
        assertContains(fails("dice", Map.of("include-background", "yes")).getMessage(), "include-background", "true or false", "'yes'");
        assertContains(fails("tversky", Map.of("form", "bogus")).getMessage(), "option 'form'", "one-minus, negative", "'bogus'");
        assertContains(fails("dice", Map.of("weight", "[1,2,3,4]")).getMessage(), "option 'weight'", "needs 3 values",
                "include-background=false", "got 4");
        assertContains(fails("cross-entropy", Map.of("weight", "[1,2,3]")).getMessage(), "needs 4 values", "C = 4", "got 3");
        assertContains(fails("cross-entropy", Map.of("weight", "[1,x,3,4]")).getMessage(), "list of numbers", "'x'", "position 1");
        assertContains(fails("cross-entropy", Map.of("label-smoothing", "1")).getMessage(), "label-smoothing", "in [0, 1)", "got 1");
        assertContains(fails("sudre-dice", Map.of("foreground-channel", "4")).getMessage(), "foreground-channel", "< C = 4", "4");
        assertContains(fails("sudre-dice", Map.of("foreground-channel", "1.5")).getMessage(), "must be an integer", "'1.5'");
        assertContains(fails("lovasz-softmax", Map.of("classes", "[1,7]")).getMessage(), "classes", "[0, 4)", "7");
        assertContains(fails("lovasz-softmax", Map.of("classes", "some")).getMessage(), "present, all", "'some'");
        assertContains(fails("generalized-wasserstein-dice", Map.of("distance-matrix", "[0,1,1,0]")).getMessage(),
                "distance-matrix", "C*C = 16", "got 4");
        assertContains(fails("boundary", Map.of("spacing", "[1,1]")).getMessage(), "spacing", "needs 3 values");
        // a library builder's own check is reported with the loss name
        assertContains(fails("generalized-dice", Map.of("variant", "segloss-v2")).getMessage(), "loss 'generalized-dice'", "batch must be true");
        assertContains(fails("dice-ce", Map.of("lambda-dice", "0", "lambda-ce", "0")).getMessage(), "loss 'dice-ce'", "lambdaDice");
        assertContains(assertThrows(IllegalArgumentException.class, () -> LossCatalog.build("dice", Map.of(), 1)).getMessage(),
                "classes must be >= 2");
    }

    @Test
    void parseReadsInlineAndRepeatedOptions() {
        LossCatalog.Selection s = LossCatalog.parse("tversky:alpha=0.3,beta=0.7", List.of("smooth_nr=1", "weight=1,2,3"));
        assertEquals("tversky", s.name());
        assertEquals(Map.of("alpha", "0.3", "beta", "0.7", "smooth-nr", "1", "weight", "1,2,3"), s.options());
        LossCatalog.Built b = LossCatalog.build(s, C);
        assertEquals("tversky:alpha=0.3,beta=0.7,smooth-nr=1,weight=[1,2,3]", b.name());
        assertEquals("0.3", b.resolvedOptions().get("alpha"));
        assertEquals("1e-5", b.resolvedOptions().get("smooth-dr"));
        assertTrue(b.describe().contains("TverskyLoss"), b.describe());
        // the round trip of the name gives the same loss
        assertEquals(value("tversky", s.options(), 2, 0),
                LossCatalog.build(LossCatalog.parse(b.name(), List.of()), C).forward(Var.constant(logits(2)), labels(2)).item(), 0f);

        assertEquals(Map.of("weight", "[1,2,3]", "batch", "true"), LossCatalog.parse("dice:weight=[1,2,3],batch=true", null).options());
        assertEquals("dice-ce", LossCatalog.parse("  ", List.of()).name());
        assertContains(assertThrows(IllegalArgumentException.class, () -> LossCatalog.parse("dice:weight=1,2,3", List.of())).getMessage(),
                "expected KEY=VALUE", "'2'", "weight=[1,2,3]");
        assertContains(assertThrows(IllegalArgumentException.class, () -> LossCatalog.parse("dice:batch=true", List.of("batch=false")))
                .getMessage(), "'batch' given twice");
        assertContains(assertThrows(IllegalArgumentException.class, () -> LossCatalog.parse("dice", List.of("batch"))).getMessage(),
                "expected KEY=VALUE", "'batch'");
        assertContains(assertThrows(IllegalArgumentException.class, () -> LossCatalog.parse("dice:", List.of())).getMessage(),
                "options after ':'");
        assertContains(assertThrows(IllegalArgumentException.class, () -> LossCatalog.parse("dice:weight=[1,2", List.of())).getMessage(),
                "unbalanced '['");
        assertContains(assertThrows(IllegalArgumentException.class, () -> LossCatalog.parse("dice", List.of("batch="))).getMessage(),
                "empty value");
    }

    @Test
    void helpListsEveryNameOptionDefaultAndTheNotApplicable() {
        String h = LossCatalog.help();
        for (String name : LossCatalog.names()) {
            assertTrue(h.contains("\n" + name + ":") || h.contains("\n" + name + " (default):"), name);
            for (String key : LossCatalog.options(name)) assertTrue(h.contains("    " + key + " "), name + " " + key);
        }
        assertContains(h, "dice-ce (default):", "lovasz-hinge:", "true|false", "one-minus|negative", "default 0.5", "arXiv 1812.07032",
                "list of numbers >= 0, one per kept class");
    }
}
