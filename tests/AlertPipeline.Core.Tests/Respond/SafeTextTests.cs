using AlertPipeline.Core.Respond;

namespace AlertPipeline.Core.Tests.Respond;

public sealed class SafeTextTests
{
    [Fact]
    public void Clean_truncates_and_removes_control_and_bidi_characters()
    {
        var text = "line1\r\nFAKE LOG LINE\u202Egnp.exe" + new string('x', 1000);
        var clean = SafeText.Clean(text, 40);

        Assert.Equal(41, clean.Length);
        Assert.EndsWith("…", clean);
        Assert.DoesNotContain('\n', clean);
        Assert.DoesNotContain('\r', clean);
        Assert.DoesNotContain('\u202E', clean);
    }

    [Fact]
    public void Clean_turns_line_breaks_into_spaces_and_marks_other_controls()
    {
        Assert.Equal("a  b c \uFFFDd", SafeText.Clean("a\r\nb\tc \u0007d"));
    }

    [Fact]
    public void Clean_turns_unicode_line_and_paragraph_separators_into_spaces()
    {
        Assert.Equal("a b c", SafeText.Clean("a\u2028b\u2029c"));
    }

    [Fact]
    public void Html_escapes_markup()
    {
        Assert.Equal("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", SafeText.Html("<script>alert('x')</script>"));
    }

    [Fact]
    public void Markdown_escapes_link_syntax()
    {
        Assert.Equal(@"\[click\]\(http://evil\)", SafeText.Markdown("[click](http://evil)").Replace(@"\.", ".", StringComparison.Ordinal));
        Assert.DoesNotContain("](", SafeText.Markdown("[a](b)"));
    }

    [Fact]
    public void Null_and_empty_are_empty()
    {
        Assert.Equal(string.Empty, SafeText.Clean(null));
        Assert.Equal(string.Empty, SafeText.Html(string.Empty));
    }
}
