package org.segloss.cli;
public final class Main { public static void main(String[] a) { System.out.println(org.segloss.Version.VALUE); } }
