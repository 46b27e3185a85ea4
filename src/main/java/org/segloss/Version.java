package org.segloss;
/** The library version, printed by the CLI. */
public final class Version { private Version() {} public static final String VALUE = "0.1.0-SNAPSHOT"; }
