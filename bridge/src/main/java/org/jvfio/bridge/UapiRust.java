package org.jvfio.bridge;

import java.lang.reflect.RecordComponent;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/*
 * The generator of uapi.rs, the Rust module of the uAPI for the bridge's Rust client
 * (bridge/src/test/rust), from the same api records, measured layouts and constants as
 * UapiHeader's C header (whose main writes both), so that the Java, C and Rust layouts come from
 * one source.
 *
 * Each struct record becomes a #[repr(C)] struct under its C name (as bindgen names them), with
 * fields of the measured widths, a flexible array member as [u8; 0], and compile-time assertions
 * (const _: () = assert!(...)) of its size_of and of every offset_of!: rustc rejects a module whose
 * natural layout differs from the Java encoding. An int constant becomes a u32, a long a u64.
 * UapiHeaderTest fails when the committed module is stale.
 */
final class UapiRust {
  /** Fields whose Rust declaration the record's component cannot give (a union, a signed fd). */
  private static final Map<String, String> SPECIAL =
      Map.of(
          "IommuHwInfo.dataType", "in_data_type: u32, // union with out_data_type",
          "VfioDeviceBindIommufd.iommufd", "iommufd: i32,",
          "IommuIoasMapFile.fd", "fd: i32,");

  private static final Set<String> KEYWORDS = Set.of("type", "ref", "in", "match", "move", "fn");

  private UapiRust() {}

  /** Returns the text of {@code uapi.rs}, starting with its SPDX license line. */
  static String render() {
    StringBuilder out = new StringBuilder();
    out.append("// SPDX-License-Identifier: Apache-2.0\n")
        .append("// uapi.rs: the VFIO and iommufd uAPI that jvfio models, generated from the\n")
        .append("// jvfio-api records by org.jvfio.bridge.UapiRust. Do not edit: regenerate with\n")
        .append(
            "// bridge/src/test/c/regenerate-header.sh (UapiHeaderTest fails when it is stale).\n")
        .append("#![allow(non_camel_case_types, non_upper_case_globals, dead_code)]\n\n")
        .append("use core::mem::{offset_of, size_of};\n\n");
    for (Class<?> c : UapiHeader.CONSTANTS) {
      out.append("// ").append(c.getName()).append('\n');
      UapiHeader.constants(c)
          .forEach(
              (name, v) ->
                  out.append(
                      String.format(
                          Locale.ROOT,
                          "pub const %s: %s = 0x%x;%n",
                          name,
                          v instanceof Long ? "u64" : "u32",
                          v)));
      out.append('\n');
    }
    for (Class<?> r : UapiHeader.records()) {
      struct(r, out);
    }
    return out.toString();
  }

  private static void struct(Class<?> r, StringBuilder out) {
    String name = UapiHeader.snake(r.getSimpleName());
    StringBuilder asserts = new StringBuilder();
    asserts.append(
        String.format(
            Locale.ROOT,
            "const _: () = assert!(size_of::<%s>() == %d);%n",
            name,
            UapiHeader.sizeOf(r)));
    out.append("#[repr(C)]\n#[derive(Debug, Default, Clone, Copy)]\npub struct ")
        .append(name)
        .append(" {\n");
    RecordComponent[] comps = r.getRecordComponents();
    for (int i = 0; i < comps.length; i++) {
      int[] at = UapiHeader.measure(r, i);
      String decl = SPECIAL.get(r.getSimpleName() + "." + comps[i].getName());
      if (decl == null) {
        decl = field(UapiHeader.cName(comps[i].getName())) + ": " + type(comps[i], at[1]) + ",";
      }
      out.append("    pub ").append(decl).append('\n');
      String field = decl.substring(0, decl.indexOf(':'));
      asserts.append(
          String.format(
              Locale.ROOT,
              "const _: () = assert!(offset_of!(%s, %s) == %d);%n",
              name,
              field,
              at[0]));
    }
    if (UapiHeader.FLEXIBLE.containsKey(r.getSimpleName())) {
      out.append("    pub data: [u8; 0],\n");
    }
    out.append("}\n").append(asserts).append('\n');
  }

  private static String field(String cName) {
    return KEYWORDS.contains(cName) ? "r#" + cName : cName;
  }

  private static String type(RecordComponent rc, int width) {
    if (rc.getType().isRecord()) {
      return UapiHeader.snake(rc.getType().getSimpleName());
    }
    switch (width) {
      case 1:
        return "u8";
      case 2:
        return "u16";
      case 4:
        return "u32";
      case 8:
        return "u64";
      default:
        return "[u8; " + width + "]";
    }
  }
}
