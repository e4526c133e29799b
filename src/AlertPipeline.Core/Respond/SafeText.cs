using System.Net;
using System.Text;

namespace AlertPipeline.Core.Respond;

/// <summary>
/// Makes attacker-controlled telemetry text safe to show: bounded length, no control characters, and
/// escaped for the medium (HTML, Markdown, log line). Every renderer goes through here.
/// </summary>
public static class SafeText
{
    /// <summary>Default most characters of one telemetry value shown anywhere.</summary>
    public const int DefaultMaxLength = 512;

    /// <summary>Cuts <paramref name="text"/> to <paramref name="max"/> chars (marking the cut) and replaces control characters.</summary>
    public static string Clean(string? text, int max = DefaultMaxLength)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var cut = text.Length > max;
        var span = cut ? text.AsSpan(0, max) : text.AsSpan();
        var builder = new StringBuilder(span.Length + 1);
        foreach (var c in span)
        {
            // Newlines and bidi overrides let an attacker forge log lines or disguise a command. Line breaks and
            // tabs become a space (folded YAML descriptions stay readable); every other control is made visible.
            // U+2028/U+2029 are line breaks too for some terminals and viewers.
            builder.Append(c is '\r' or '\n' or '\t' or '\u2028' or '\u2029' ? ' ' : char.IsControl(c) || IsBidiControl(c) ? '\uFFFD' : c);
        }

        if (cut)
        {
            builder.Append('…');
        }

        return builder.ToString();
    }

    /// <summary>Clean, then HTML-encoded (email bodies).</summary>
    public static string Html(string? text, int max = DefaultMaxLength) => WebUtility.HtmlEncode(Clean(text, max));

    /// <summary>Clean, then with Markdown metacharacters escaped (Teams Adaptive Card text, which renders Markdown).</summary>
    public static string Markdown(string? text, int max = DefaultMaxLength)
    {
        var clean = Clean(text, max);
        var builder = new StringBuilder(clean.Length + 8);
        foreach (var c in clean)
        {
            if (c is '\\' or '*' or '_' or '`' or '[' or ']' or '(' or ')' or '#' or '<' or '>' or '!' or '|' or '~' or '-' or '+' or '.')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    /// <summary>Clean and short, for one log-line field.</summary>
    public static string Log(string? text) => Clean(text, 256);

    private static bool IsBidiControl(char c) => c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F';
}
