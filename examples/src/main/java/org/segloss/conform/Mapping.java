package org.segloss.conform;

import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/** What {@link LossMapper} makes of a case: a library computation, or the reason there is none. */
public sealed interface Mapping {

    /** The arrays of a case besides the input. */
    record CaseInputs(LabelTensor target, Tensor distmap) {}

    /** A loss over the (pre-activated) input Var; must return a one-element Var. */
    @FunctionalInterface
    interface LossCall {
        Var apply(Var input, CaseInputs inputs);
    }

    /** A distance map {@code [K, *spatial]} of one label image {@code [*spatial]}. */
    @FunctionalInterface
    interface DistanceCall {
        Tensor apply(LabelTensor image);
    }

    /** Task {@code loss}, computed by {@code call}; {@code description} names the library loss and its settings. */
    record ForLoss(String description, LossCall call) implements Mapping {}

    /** Task {@code distance_map}, computed by {@code call}. */
    record ForDistanceMap(String description, DistanceCall call) implements Mapping {}

    /** Why a case cannot run (yet). Not a failure of the library, except as the conformance test decides. */
    enum Reason {
        /** The loss or transform is not in the library yet (expected to shrink as losses are merged). */
        NOT_IN_LIBRARY,
        /** A reference's non-standard variant the library does not offer (reference_specific cases). */
        VARIANT_NOT_OFFERED,
        /** An option, option value or constant the mapping does not understand or the library cannot express. */
        OPTION,
        /** A reference repository/symbol or a task this runner does not know at all. */
        UNKNOWN_REFERENCE
    }

    /** Not computed; {@code detail} is the human-readable reason. */
    record Unsupported(Reason reason, String detail) implements Mapping {
        @Override
        public String toString() { return "unsupported: " + detail; }
    }

    /** Thrown inside a mapping (e.g. by {@link CaseOptions}) to abandon it with a reason. */
    final class NotMappable extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Unsupported unsupported;

        public NotMappable(Reason reason, String detail) {
            super(detail, null, false, false);   // control flow, not an error: no stack trace
            this.unsupported = new Unsupported(reason, detail);
        }

        public Unsupported unsupported() { return unsupported; }
    }
}
