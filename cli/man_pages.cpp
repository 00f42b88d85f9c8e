// Man pages (roff, man macros) from the command tree (cli_docs.h).
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "cli_docs.h"

namespace ploke::cli {

namespace {

// Decodes one UTF-8 sequence at s[i] (advancing i); an invalid byte is returned as itself.
uint32_t next_code_point(const std::string& s, size_t& i) {
  const auto b = static_cast<unsigned char>(s[i++]);
  const int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
  uint32_t cp = extra == 0 ? b : b & (0x3F >> extra);
  for (int k = 0; k < extra && i < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
  return cp;
}

// Text for a roff line: backslashes escaped, non-ASCII as \[uXXXX], a leading . or ' made
// literal. `names` also turns '-' into \- (option and command names, so they copy-paste).
std::string roff(const std::string& text, bool names = false) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\[u%04X]", next_code_point(text, i));
      out += buf;
      continue;
    }
    ++i;
    if (c == '\\') out += "\\e";
    else if (c == '-' && names) out += "\\-";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

// In capitals: a positional's placeholder (`in` -> IN, as the descriptions say), a page title.
std::string placeholder(const std::string& name) {
  std::string out = name;
  for (char& ch : out) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
  return out;
}

// A description as a sentence: roff text ending in a full stop.
std::string sentence(const std::string& text) {
  std::string out = roff(text);
  if (!out.empty() && out.back() != '.') out += '.';
  return out;
}

// The NAME line's summary: the description without a leading "ploke-sim: ".
std::string summary(const std::string& description) {
  const std::string prefix = "ploke-sim: ";
  return roff(description.starts_with(prefix) ? description.substr(prefix.size()) : description);
}

std::string bold(const std::string& s) { return "\\fB" + roff(s, true) + "\\fR"; }
std::string italic(const std::string& s) { return "\\fI" + roff(s, true) + "\\fR"; }

std::string header(const CommandSpec& c, const std::string& version) {
  return ".TH \"" + roff(placeholder(c.page_name()), true) + "\" \"1\" \"\" \"ploke\\-sim " + roff(version) + "\" \"ploke\\-sim manual\"\n" +
         ".SH NAME\n" + roff(c.page_name(), true) + " \\- " + summary(c.description) + "\n";
}

std::string synopsis(const CommandSpec& c) {
  std::string out = ".SH SYNOPSIS\n.B " + roff(c.full_name(), true) + "\n";
  if (!c.subcommands.empty()) out += "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n";
  else if (!c.options.empty()) out += "[\\fIOPTIONS\\fR]";
  for (const ArgSpec& p : c.positionals) {
    if (c.passthrough && p.names[0] == "command") {
      out += " [\\fB\\-\\-\\fR \\fICOMMAND\\fR...]";
      continue;
    }
    const std::string arg = italic(placeholder(p.names[0])) + (p.repeatable ? "..." : "");
    out += " " + (p.required ? arg : "[" + arg + "]");
  }
  return out + (c.subcommands.empty() ? "\n" : "");
}

std::string option_details(const ArgSpec& a) {
  std::string out = sentence(a.description);
  if (!a.choices.empty()) {
    std::string values;
    for (const std::string& v : a.choices) values += (values.empty() ? "" : ", ") + bold(v);
    out += "\nOne of " + values + ".";
  }
  if (!a.default_value.empty()) out += "\nDefault: " + bold(a.default_value) + ".";
  if (a.repeatable && placeholder(a.description).find("REPEATABLE") == std::string::npos) out += "\nRepeatable.";
  if (a.required) out += "\nRequired.";
  if (a.global) out += "\nAccepted by every command.";
  return out + "\n";
}

std::string options_section(const CommandSpec& c) {
  std::string out = ".SH OPTIONS\n";
  for (const ArgSpec& a : c.options) {
    std::string tag;
    for (const std::string& n : a.names) tag += (tag.empty() ? "" : ", ") + bold(n);
    if (!a.value.empty()) tag += " " + italic(a.value);
    out += ".TP\n" + tag + "\n" + option_details(a);
  }
  return out;
}

std::string arguments_section(const CommandSpec& c) {
  if (c.positionals.empty()) return "";
  std::string out = ".SH ARGUMENTS\n";
  for (const ArgSpec& p : c.positionals) out += ".TP\n" + italic(placeholder(p.names[0])) + "\n" + option_details(p);
  return out;
}

std::string commands_section(const CommandSpec& c) {
  if (c.subcommands.empty()) return "";
  std::string out = ".SH COMMANDS\n";
  for (const CommandSpec& s : c.subcommands) {
    out += ".TP\n" + bold(s.path.back()) + "\n" + sentence(s.description) + "\nSee \\fB" + roff(s.page_name(), true) + "\\fR(1).\n";
  }
  return out;
}

std::string closing_sections(const CommandSpec& c) {
  std::string out =
      ".SH EXIT STATUS\n.TP\n.B 0\nSuccess.\n.TP\n.B 1\nThe run failed.\n.TP\n.B 2\n"
      "Usage error or bad input (the message names the file, field path or offset).\n.SH SEE ALSO\n";
  std::vector<std::string> refs;
  if (!c.path.empty()) refs.push_back("ploke-sim");
  for (size_t n = 1; n < c.path.size(); ++n) {  // the parent commands
    CommandSpec parent;
    parent.path.assign(c.path.begin(), c.path.begin() + static_cast<std::ptrdiff_t>(n));
    refs.push_back(parent.page_name());
  }
  for (const CommandSpec& s : c.subcommands) refs.push_back(s.page_name());
  for (size_t i = 0; i < refs.size(); ++i) {
    out += ".BR " + roff(refs[i], true) + " (1)" + (i + 1 < refs.size() ? "," : "") + "\n";
  }
  if (refs.empty()) out += "The README.md of the ploke\\-sim sources.\n";
  return out;
}

}  // namespace

std::vector<ManPage> render_man_pages(const CommandSpec& root, const std::string& version) {
  std::vector<ManPage> pages;
  for (const CommandSpec* c : all_commands(root)) {
    std::string text = header(*c, version) + synopsis(*c) + ".SH DESCRIPTION\n" + sentence(c->description) + "\n";
    text += commands_section(*c) + arguments_section(*c) + options_section(*c) + closing_sections(*c);
    pages.push_back({c->page_name() + ".1", std::move(text)});
  }
  return pages;
}

}  // namespace ploke::cli
