package org.segloss.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;

/**
 * Every primitive's gradient against the checker, on random odd shapes away from kinks, in
 * full-Jacobian mode (small inputs) and directional mode (inputs with long odd last axes).
 */
class PrimitiveGradientProperties {
    private static final List<OpCatalog.Entry> ENTRIES = OpCatalog.entries();

    @Provide
    Arbitrary<Tuple2<OpCatalog.Entry, Long>> cases() {
        return Arbitraries.of(ENTRIES).flatMap(e -> Arbitraries.longs().map(seed -> Tuple.of(e, seed)));
    }

    @Property(tries = 400)
    void gradientMatchesFiniteDifferences(@ForAll("cases") Tuple2<OpCatalog.Entry, Long> c) {
        OpCatalog.Case k = c.get1().sample(c.get2(), false);
        GradCheck.Report r = GradCheck.check(k.fn(), k.inputs());
        assertTrue(r.passed(), () -> k.op() + " " + k.detail() + ": " + r);
    }

    @Property(tries = 60)
    void gradientMatchesOnLargeInputs(@ForAll("cases") Tuple2<OpCatalog.Entry, Long> c) {
        OpCatalog.Case k = c.get1().sample(c.get2(), true);
        GradCheck.Report r = GradCheck.check(k.fn(), k.inputs());
        assertTrue(r.passed(), () -> k.op() + " " + k.detail() + ": " + r);
        assertTrue(r.mode().equals("directional") || k.inputs()[0].size() <= GradCheck.DEFAULTS.fullLimit());
    }
}
