package org.segloss.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The catalogue that {@code segloss check} runs passes, SIMD against scalar included. */
class SelfCheckTest {
    @Test
    void everyPrimitivePassesItsGradientAndSimdChecks() {
        List<SelfCheck.Row> rows = SelfCheck.run(2026);
        assertEquals(2 * OpCatalog.entries().size(), rows.size());
        for (SelfCheck.Row r : rows) assertTrue(r.passed(), r.op() + " " + r.detail() + ": " + r.failure());
    }
}
