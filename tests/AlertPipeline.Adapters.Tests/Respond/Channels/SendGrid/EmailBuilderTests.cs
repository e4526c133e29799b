using System.Text.RegularExpressions;
using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Core.Detect;

namespace AlertPipeline.Adapters.Tests.Respond.Channels.SendGrid;

/// <summary><see cref="EmailBuilder"/>: golden output for an ordinary alert, and escaping and bounds for a hostile one.</summary>
public sealed class EmailBuilderTests
{
    private const string Runbook = "https://runbooks.example/alertpipeline";

    [Fact]
    public void Fixed_alert_renders_as_the_golden_files()
    {
        var email = EmailBuilder.Build(ChannelTestAlerts.Fixed(), Runbook);

        Assert.Equal("[CRITICAL] Sandbox reached the cloud metadata endpoint — sandbox sbx-gpu-042", email.Subject);
        Assert.Equal(Golden.Read("alert.golden.html", email.Html), email.Html);
        Assert.Equal(Golden.Read("alert.golden.txt", email.Text), email.Text);
    }

    [Fact]
    public void Times_are_utc_iso_8601_and_the_runbook_link_is_per_rule()
    {
        var email = EmailBuilder.Build(ChannelTestAlerts.Fixed(), Runbook + "/");

        Assert.Contains("2025-03-14T09:26:53Z", email.Text, StringComparison.Ordinal);
        Assert.Contains("2025-03-14T09:31:02Z", email.Text, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://runbooks.example/alertpipeline/net-cloud-metadata\">", email.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_runbook_base_url_there_is_no_runbook_link()
    {
        var email = EmailBuilder.Build(ChannelTestAlerts.Fixed());

        Assert.DoesNotContain("Runbook", email.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Runbook", email.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(AlertLevel.Informational, "[INFORMATIONAL] ")]
    [InlineData(AlertLevel.Medium, "[MEDIUM] ")]
    [InlineData(AlertLevel.High, "[HIGH] ")]
    public void Subject_starts_with_the_level(AlertLevel level, string prefix)
    {
        var alert = ChannelTestAlerts.Fixed();
        alert.Level = level;

        Assert.StartsWith(prefix, EmailBuilder.Subject(alert), StringComparison.Ordinal);
    }

    [Fact]
    public void Hostile_subject_is_one_bounded_line()
    {
        var subject = EmailBuilder.Build(ChannelTestAlerts.Hostile()).Subject;

        Assert.DoesNotContain('\r', subject);
        Assert.DoesNotContain('\n', subject);
        Assert.True(subject.Length <= EmailBuilder.MaxSubjectLength + 1, $"subject is {subject.Length} chars");
        Assert.StartsWith("[CRITICAL] <script>", subject, StringComparison.Ordinal);
    }

    [Fact]
    public void Hostile_html_has_no_markup_from_the_alert()
    {
        var html = EmailBuilder.Build(ChannelTestAlerts.Hostile()).Html;

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("onerror=alert(1)>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&lt;a href=&quot;http://evil.example&quot;&gt;login&lt;/a&gt;", html, StringComparison.Ordinal);

        // The only tags are the template's own.
        var tags = Regex.Matches(html, "<([a-zA-Z!/][a-zA-Z0-9]*)").Select(m => m.Groups[1].Value.TrimStart('/').ToLowerInvariant()).ToHashSet();
        Assert.Subset(new HashSet<string> { "!doctype", "html", "head", "meta", "title", "body", "h2", "h3", "p", "table", "tr", "th", "td", "ul", "li", "a", "b" }, tags);
    }

    [Fact]
    public void Hostile_references_link_only_to_plain_http_urls()
    {
        var html = EmailBuilder.Build(ChannelTestAlerts.Hostile()).Html;

        var hrefs = Regex.Matches(html, "href=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        var href = Assert.Single(hrefs);
        Assert.StartsWith("https://ok.example/path?a=1&amp;b=%22%3E%3Cimg", href, StringComparison.Ordinal);
        Assert.Contains("javascript:alert(document.cookie)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"javascript", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=\"data:", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Hostile_values_are_truncated_and_control_characters_replaced()
    {
        var email = EmailBuilder.Build(ChannelTestAlerts.Hostile());

        Assert.True(email.Html.Length < 16 * 1024, $"html is {email.Html.Length} chars");
        Assert.True(email.Text.Length < 8 * 1024, $"text is {email.Text.Length} chars");
        Assert.DoesNotContain(new string('A', EmailBuilder.MaxValueLength + 1), email.Text, StringComparison.Ordinal);
        Assert.Contains(new string('A', 100) + "…", email.Text, StringComparison.Ordinal);
        Assert.DoesNotContain('\u202E', email.Html);
        Assert.DoesNotContain('\u202E', email.Text);
        Assert.DoesNotContain("\r\nBcc:", email.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Evidence_rows_are_capped_and_the_rest_counted()
    {
        var alert = ChannelTestAlerts.Fixed();
        alert.Evidence = Enumerable.Range(0, EmailBuilder.MaxEvidenceRows + 7).ToDictionary(i => $"field.{i:D3}", i => "v", StringComparer.Ordinal);

        var email = EmailBuilder.Build(alert);

        Assert.Contains("field.049", email.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("field.050", email.Html, StringComparison.Ordinal);
        Assert.Contains("7 more fields not shown", email.Html, StringComparison.Ordinal);
        Assert.Contains("7 more fields not shown", email.Text, StringComparison.Ordinal);
    }
}
