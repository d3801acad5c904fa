// Default options of the sanitizer runtimes, linked into every program of
// a sanitizer build (make test SANITIZE=address,undefined). Daemons run
// with the environment master gives them (import_environment), so
// ASAN_OPTIONS/UBSAN_OPTIONS from the shell would not reach them: the
// options are compiled in. Every report also goes to
// /tmp/mta-sanitizer.PID, where scripts/sanitizer-report.sh counts them.
extern "C" const char* __asan_default_options() {
  return "detect_leaks=0:abort_on_error=1:log_path=/tmp/mta-sanitizer";
}
extern "C" const char* __ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1:log_path=/tmp/mta-sanitizer";
}
