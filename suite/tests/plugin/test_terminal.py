"""``suite.plugin.terminal``: lines the session prints."""

from suite.plugin.terminal import compiles_line


def test_the_compile_count_line_names_the_count_and_where_kernels_are_kept():
    line = compiles_line(7)
    assert "7 graph(s) compiled" in line and "TORCHINDUCTOR_CACHE_DIR" in line
