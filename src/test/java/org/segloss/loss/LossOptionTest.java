package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * The option declarations ({@link LossOption}) and the builders agree: every declared option with
 * a setter names a public builder method, and setting every declared default explicitly builds the
 * same loss as the builder's own defaults (the builders read their defaults from the declarations).
 */
class LossOptionTest {
    /** Each loss's options with a fresh builder and how to build it. */
    private record Declared(String loss, List<LossOption<?, ?>> options, Supplier<Object> builder,
                            java.util.function.Function<Object, Loss> build) {}

    private static List<Declared> all() {
        return List.of(
                new Declared("DiceLoss", DiceLoss.OPTIONS, DiceLoss::builder, b -> ((DiceLoss.Builder) b).build()),
                new Declared("JaccardLoss", JaccardLoss.OPTIONS, JaccardLoss::builder, b -> ((JaccardLoss.Builder) b).build()),
                new Declared("TverskyLoss", TverskyLoss.OPTIONS, TverskyLoss::builder, b -> ((TverskyLoss.Builder) b).build()),
                new Declared("FocalTverskyLoss", FocalTverskyLoss.OPTIONS, FocalTverskyLoss::builder,
                        b -> ((FocalTverskyLoss.Builder) b).build()),
                new Declared("GeneralizedDiceLoss", GeneralizedDiceLoss.OPTIONS, GeneralizedDiceLoss::builder,
                        b -> ((GeneralizedDiceLoss.Builder) b).build()),
                new Declared("CrossEntropyLoss", CrossEntropyLoss.OPTIONS, CrossEntropyLoss::builder,
                        b -> ((CrossEntropyLoss.Builder) b).build()),
                new Declared("WeightedCrossEntropyLoss", WeightedCrossEntropyLoss.OPTIONS, WeightedCrossEntropyLoss::builder,
                        b -> ((WeightedCrossEntropyLoss.Builder) b).build()),
                new Declared("FocalLoss", FocalLoss.OPTIONS, FocalLoss::builder, b -> ((FocalLoss.Builder) b).build()),
                new Declared("SensitivitySpecificityLoss", SensitivitySpecificityLoss.OPTIONS, SensitivitySpecificityLoss::builder,
                        b -> ((SensitivitySpecificityLoss.Builder) b).build()),
                new Declared("SudreDiceLoss", SudreDiceLoss.OPTIONS, SudreDiceLoss::builder, b -> ((SudreDiceLoss.Builder) b).build()),
                new Declared("ExpLogLoss", ExpLogLoss.OPTIONS, ExpLogLoss::builder, b -> ((ExpLogLoss.Builder) b).build()),
                new Declared("OverlapLoss", OverlapLoss.OPTIONS, OverlapLoss::builder, b -> ((OverlapLoss.Builder) b).build()),
                new Declared("FocalPositiveLoss", FocalPositiveLoss.OPTIONS, FocalPositiveLoss::builder,
                        b -> ((FocalPositiveLoss.Builder) b).build()),
                new Declared("LovaszSoftmaxLoss", LovaszSoftmaxLoss.OPTIONS, LovaszSoftmaxLoss::builder,
                        b -> ((LovaszSoftmaxLoss.Builder) b).build()),
                new Declared("HausdorffDTLoss", HausdorffDTLoss.OPTIONS, HausdorffDTLoss::builder,
                        b -> ((HausdorffDTLoss.Builder) b).build()),
                new Declared("DiceCELoss", DiceCELoss.OPTIONS, DiceCELoss::builder, b -> ((DiceCELoss.Builder) b).build()));
    }

    @Test
    void everyDeclarationIsWellFormedAndNamesABuilderMethod() {
        for (Declared d : all()) {
            Set<String> names = new HashSet<>();
            Class<?> builder = d.builder().get().getClass();
            for (LossOption<?, ?> o : d.options()) {
                assertTrue(names.add(o.name()), d.loss() + ": " + o.name() + " declared twice");
                assertTrue(o.doc().endsWith("."), d.loss() + " " + o.name() + ": one line ending with '.': " + o.doc());
                if (o.kind() == LossOption.Kind.CHOICE || o.kind() == LossOption.Kind.CHOICE_OR_INTEGERS
                        || o.kind() == LossOption.Kind.CHOICE_OR_NUMBERS) {
                    assertTrue(o.defaultText() == null || o.choices().contains(o.defaultText())
                            || o.kind() != LossOption.Kind.CHOICE, d.loss() + " " + o.name() + ": default among the choices");
                }
                if (o.defaultText() != null) assertNotNull(o.parse(o.defaultText()), d.loss() + " " + o.name());
                if (!o.hasSetter()) continue;
                boolean found = false;
                for (Method m : builder.getMethods()) found |= m.getName().equals(o.camelName()) && m.getParameterCount() == 1;
                assertTrue(found, d.loss() + ": no builder method " + o.camelName() + " for option " + o.name());
            }
        }
    }

    @Test
    void settingEveryDeclaredDefaultBuildsTheDefaultLoss() {
        Tensor logits = Tensor.randn(11, 2, 3, 4, 4, 4);
        LabelTensor labels = Tensor.rand(12, 2, 3, 4, 4, 4).argmax(1);
        for (Declared d : all()) {
            Object explicit = d.builder().get();
            int set = 0;
            for (LossOption<?, ?> o : d.options()) {
                if (!o.hasSetter() || o.defaultText() == null) continue;
                @SuppressWarnings("unchecked")
                LossOption<Object, Object> opt = (LossOption<Object, Object>) o;
                opt.set(explicit, opt.parse(opt.defaultText()));
                set++;
            }
            assertTrue(set > 0, d.loss() + ": declares defaults");
            float byDefault = d.build().apply(d.builder().get()).forward(Var.constant(logits), labels).item();
            float byDeclaration = d.build().apply(explicit).forward(Var.constant(logits), labels).item();
            assertEquals(byDefault, byDeclaration, d.loss() + ": the declared defaults are the builder's (" + set + " options set)");
        }
    }

    @Test
    void aDefaultChangedInTheDeclarationWouldShowInTheBuilder() {
        // the builders read their defaults from the declarations, not from literals of their own
        assertEquals(TverskyLoss.ALPHA.defaultFloat(), TverskyLoss.create().alpha());
        assertEquals(0.5f, TverskyLoss.ALPHA.defaultFloat());
        assertEquals(1e-5f, RegionLossBuilder.SMOOTH_NR.defaultFloat());
        assertEquals(Reduction.MEAN, SegmentationLoss.REDUCTION.defaultChoice(Reduction.class));
        assertEquals(List.of("mean", "sum"), SegmentationLoss.REDUCTION.choices());
        assertEquals("smoothNr", RegionLossBuilder.SMOOTH_NR.camelName());
        assertEquals("> 0", RegionLossBuilder.SMOOTH_DR.range().text());
        assertEquals("1e-5 (> 0 for segloss-v2)", GeneralizedDiceLoss.SMOOTH_DR.shownDefault());
        assertEquals("none", SegmentationLoss.WEIGHT.shownDefault());
    }

    @Test
    void theSharedSmoothingChecksNameTheLoss() {
        for (Map.Entry<String, Supplier<RegionLossBuilder<?>>> e : Map.<String, Supplier<RegionLossBuilder<?>>>of(
                "DiceLoss", DiceLoss::builder, "JaccardLoss", JaccardLoss::builder, "TverskyLoss", TverskyLoss::builder,
                "FocalTverskyLoss", FocalTverskyLoss::builder, "GeneralizedDiceLoss", GeneralizedDiceLoss::builder,
                "GeneralizedWassersteinDiceLoss", GeneralizedWassersteinDiceLoss::builder).entrySet()) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> e.getValue().get().smoothNr(-1f));
            assertEquals(e.getKey() + ": smoothNr must be finite and >= 0, got -1.0", x.getMessage());
            x = assertThrows(IllegalArgumentException.class, () -> e.getValue().get().smoothDr(Float.NaN));
            assertTrue(x.getMessage().startsWith(e.getKey() + ": smoothDr must be finite and >= 0"), x.getMessage());
        }
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> DiceLoss.builder().smoothDr(0f).build());
        assertEquals("DiceLoss: smoothDr must be > 0 (with 0 an empty class gives 0/0 = NaN), got 0.0", x.getMessage());
    }
}
