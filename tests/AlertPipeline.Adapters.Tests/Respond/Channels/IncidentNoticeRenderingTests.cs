using System.Text.Json.Nodes;
using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Adapters.Respond.Channels.Teams;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond.Incidents;

namespace AlertPipeline.Adapters.Tests.Respond.Channels;

/// <summary>The email and the card say which incident an alert belongs to, its level and techniques, and why they went; escaped like all text.</summary>
public sealed class IncidentNoticeRenderingTests
{
    private static Incident IncidentOf(string alertId, string sandbox) => new()
    {
        IncidentId = IncidentIds.For(sandbox, 1),
        SandboxId = sandbox,
        Sequence = 1,
        Level = AlertLevel.Critical,
        HighestAlertLevel = AlertLevel.High,
        LevelReasons = ["combination: resource hijacking + protocol tunneling (T1496 + T1572)"],
        Techniques = ["T1496", "T1572"],
        AlertIds = ["other", alertId],
        Notifications =
        [
            new IncidentNotification("other", "opened", AlertLevel.High, ["T1572"], DateTimeOffset.UnixEpoch),
            new IncidentNotification(alertId, "level raised to critical (combination: resource hijacking + protocol tunneling (T1496 + T1572)); new technique T1496",
                AlertLevel.Critical, ["T1496", "T1572"], DateTimeOffset.UnixEpoch),
        ],
    };

    [Fact]
    public void The_email_names_the_incident_its_level_techniques_and_why_it_went()
    {
        var alert = ChannelTestAlerts.Fixed();
        var incident = IncidentOf(alert.AlertId, alert.SandboxId);

        var email = EmailBuilder.Build(alert, incident: incident);

        var expected = $"Incident: {incident.IncidentId} (sandbox sbx-gpu-042, 2 alerts), level critical (combination: resource hijacking + protocol tunneling (T1496 + T1572)), "
            + "techniques T1496, T1572; notified because: level raised to critical (combination: resource hijacking + protocol tunneling (T1496 + T1572)); new technique T1496";
        Assert.Contains(expected, email.Text, StringComparison.Ordinal);
        Assert.Contains("<b>Incident:</b> " + incident.IncidentId, email.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Incident:", EmailBuilder.Build(alert).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_high_alert_that_made_its_incident_critical_leads_with_critical_and_keeps_its_own_level_row()
    {
        var alert = ChannelTestAlerts.Fixed();
        alert.Level = AlertLevel.High;
        var incident = IncidentOf(alert.AlertId, alert.SandboxId);

        var email = EmailBuilder.Build(alert, incident: incident);
        var card = JsonNode.Parse(AdaptiveCardBuilder.Build(alert, incident: incident))!;

        Assert.StartsWith("[CRITICAL] ", email.Subject, StringComparison.Ordinal);
        Assert.Contains("Level: high", email.Text, StringComparison.Ordinal);
        Assert.StartsWith("CRITICAL: ", (string?)card["attachments"]![0]!["content"]!["body"]![0]!["text"], StringComparison.Ordinal);
        Assert.StartsWith("[HIGH] ", EmailBuilder.Build(alert).Subject, StringComparison.Ordinal);
    }

    [Fact]
    public void The_card_carries_the_same_notice_and_a_hostile_sandbox_id_stays_text()
    {
        var alert = ChannelTestAlerts.Fixed();
        var incident = IncidentOf(alert.AlertId, "[click](http://evil.example) <img src=x>");

        var card = JsonNode.Parse(AdaptiveCardBuilder.Build(alert, incident: incident))!;
        var html = EmailBuilder.Build(alert, incident: incident).Html;

        var texts = card["attachments"]![0]!["content"]!["body"]!.AsArray().Select(b => (string?)b!["text"]).OfType<string>().ToList();
        var notice = Assert.Single(texts, t => t.StartsWith("Incident: ", StringComparison.Ordinal));
        Assert.Contains("\\[click\\]\\(http://evil\\.example\\)", notice, StringComparison.Ordinal);
        Assert.Contains("level critical", notice, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_covered_alert_says_so_and_shows_the_incident_as_it_stands()
    {
        var alert = ChannelTestAlerts.Fixed();
        var incident = IncidentOf("someone-else", alert.SandboxId);

        var text = EmailBuilder.Build(alert, incident: incident).Text;

        Assert.Contains("level critical", text, StringComparison.Ordinal);
        Assert.Contains("this alert is covered by the incident's notifications", text, StringComparison.Ordinal);
    }
}
