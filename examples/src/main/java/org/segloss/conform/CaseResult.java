package org.segloss.conform;

import org.segloss.conform.Mapping.Reason;

/**
 * The outcome of one case.
 *
 * @param reason why it is unsupported (null unless {@link Status#UNSUPPORTED})
 * @param detail errors for PASS/FAIL, the reason for UNSUPPORTED, the value for COMPUTED
 */
public record CaseResult(CaseFile.Case testCase, Status status, Reason reason, String detail) {

    public enum Status {
        /** Within tolerance of the expected loss and gradient (or distance map). */
        PASS,
        /** Outside tolerance, an exception, or a missing output. */
        FAIL,
        /** Not computed: see {@link #reason()}. Not a failure. */
        UNSUPPORTED,
        /** Computed and written, but the folder holds no expected values to compare with. */
        COMPUTED
    }

    public String id() { return testCase.id(); }

    static CaseResult unsupported(CaseFile.Case c, Mapping.Unsupported u) {
        return new CaseResult(c, Status.UNSUPPORTED, u.reason(), u.detail());
    }
}
