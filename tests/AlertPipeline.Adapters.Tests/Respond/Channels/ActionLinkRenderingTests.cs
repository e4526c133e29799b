using System.Text.Json.Nodes;
using System.Web;
using AlertPipeline.Adapters.Respond.Channels;
using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Adapters.Respond.Channels.Teams;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Channels;

namespace AlertPipeline.Adapters.Tests.Respond.Channels;

/// <summary>The signed links on the card and in the email, the notices beside them, and the follow-up relay.</summary>
public sealed class ActionLinkRenderingTests
{
    private const string LinkKey = "YWN0aW9uLWxpbmstdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=";
    private readonly ActionLinkSigner _signer = new(LinkKey, "a1");

    private ActionLinkIssuer Issuer(string? baseUrl = "https://func-alertpipe.example/") => new(_signer, new ActionLinkOptions { BaseUrl = baseUrl });

    private static Alert Held()
    {
        var alert = ChannelTestAlerts.Fixed();
        alert.Actions.Add(new ActionRecord { Channel = "shutdown", Status = ActionStatus.AwaitingApproval, Detail = "guardrail: 10 automatic commands in this window" });
        return alert;
    }

    private ActionLink Read(string url)
    {
        var uri = new Uri(url);
        var segments = uri.AbsolutePath.Split('/');
        var query = HttpUtility.ParseQueryString(uri.Query);
        return ActionLink.TryRead(segments[^2], segments[^1], n => query[n], out _)!;
    }

    [Fact]
    public void Card_offers_acknowledge_approve_and_dismiss_as_verifiable_links_first_and_says_why_the_command_is_held()
    {
        var alert = Held();
        var card = JsonNode.Parse(AdaptiveCardBuilder.Build(alert, null, Issuer().For(alert, TeamsChannel.LinkRecipient)))!["attachments"]![0]!["content"]!;

        var actions = card["actions"]!.AsArray();
        Assert.Equal(["Acknowledge", "Approve shutdown", "Dismiss"], actions.Take(3).Select(a => (string?)a!["title"]));
        var links = actions.Take(3).Select(a => Read((string)a!["url"]!)).ToList();
        Assert.Equal([AlertAction.Acknowledge, AlertAction.Approve, AlertAction.Dismiss], links.Select(l => l.Action));
        Assert.All(links, l => Assert.Equal((alert.AlertId, LinkVerdict.Valid, "Teams channel"), (l.AlertId, _signer.Verify(l), l.Recipient)));
        Assert.Equal(3, links.Select(l => l.Nonce).Distinct().Count());
        Assert.Contains(card["body"]!.AsArray(), b => ((string?)b!["text"])?.StartsWith("Shutdown held for approval: guardrail", StringComparison.Ordinal) == true);
        Assert.DoesNotContain("Action links are off", card.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Email_carries_the_links_in_both_parts_and_a_notice_when_they_are_off()
    {
        var alert = Held();
        var content = EmailBuilder.Build(alert, null, Issuer().For(alert, "ops@example.com"));
        var off = EmailBuilder.Build(alert, null, Issuer(baseUrl: null).For(alert, "ops@example.com"));

        Assert.Equal(3, content.Html.Split("href=\"https://func-alertpipe.example/api/actions/").Length - 1);
        Assert.Contains("\nApprove shutdown: https://func-alertpipe.example/api/actions/5f0c3e9a7b21d4e8/approve?exp=", content.Text, StringComparison.Ordinal);
        Assert.Contains("Shutdown held for approval:</b> guardrail", content.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("/api/actions/", off.Html, StringComparison.Ordinal);
        Assert.Contains("Action links are off", off.Html, StringComparison.Ordinal);
        Assert.Contains("Action links are off", off.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dynamic_template_receives_the_signed_links_as_data()
    {
        var alert = Held();
        var options = new SendGridChannelOptions { ApiKey = "SG.test", From = "alerts@example.com", To = "ops@example.com", TemplateId = "d-0123456789abcdef" };

        var json = SendGridChannel.BuildMessage(alert, options, links: Issuer().For(alert, "ops@example.com")).Serialize();

        var data = JsonNode.Parse(json)!["personalizations"]![0]!["dynamic_template_data"]!;
        var actions = data["actions"]!.AsArray();
        Assert.Equal(["acknowledge", "approve", "dismiss"], actions.Select(a => (string)a!["action"]!));
        Assert.All(actions, a => Assert.Equal(LinkVerdict.Valid, _signer.Verify(Read((string)a!["url"]!))));
        Assert.Equal(string.Empty, (string)data["actionsNotice"]!);
    }

    [Fact]
    public void A_hostile_card_with_every_notice_and_link_stays_under_the_size_bound()
    {
        var alert = ChannelTestAlerts.Hostile();
        alert.Actions.Add(new ActionRecord { Channel = "shutdown", Status = ActionStatus.AwaitingApproval, Detail = new string('\\', 1000) });
        alert.Status = AlertStatus.Acknowledged;
        alert.StatusBy = new string('<', 1000);
        alert.StatusAt = alert.LastSeen;
        var links = Issuer().For(alert, new string('"', 1000));

        var json = AdaptiveCardBuilder.Build(alert, "https://runbooks.example/" + new string('a', 1500), links);

        Assert.True(System.Text.Encoding.UTF8.GetByteCount(json) <= AdaptiveCardBuilder.MaxPayloadBytes);
        Assert.Equal(["Approve shutdown", "Dismiss"], JsonNode.Parse(json)!["attachments"]![0]!["content"]!["actions"]!.AsArray().Take(2).Select(a => (string?)a!["title"]));
    }

    [Fact]
    public void An_escalated_card_says_so()
    {
        var alert = ChannelTestAlerts.Fixed();
        alert.Escalations = 2;
        alert.CreatedAt = alert.FirstSeen;

        var json = AdaptiveCardBuilder.Build(alert);

        Assert.Contains("Escalation 2: still open and not acknowledged since 2025\\\\-03\\\\-14T09:26:53Z", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relay_sends_through_teams_and_email_and_skips_what_was_decided_meanwhile()
    {
        var teams = new Answering("teams", ChannelResult.Failed("HTTP 503") with { RetryAfter = TimeSpan.FromSeconds(30) });
        var email = new Answering("email", ChannelResult.Sent("202"));
        var approval = new RelayChannel(ApprovalRequest.Channel, () => [teams, email, new Answering("shutdown", ChannelResult.Sent())]);
        var alert = Held();

        var sent = await approval.SendAsync(alert, CancellationToken.None);
        Assert.Equal(ActionStatus.Sent, sent.Status);
        Assert.Equal("email: sent 202; teams: failed HTTP 503", sent.Detail);

        email.Result = ChannelResult.Failed("HTTP 500");
        var failed = await approval.SendAsync(alert, CancellationToken.None);
        Assert.Equal((ActionStatus.Failed, TimeSpan.FromSeconds(30), false), (failed.Status, failed.RetryAfter, failed.Permanent));

        alert.ActionFor("shutdown")!.Status = ActionStatus.Sent;
        Assert.Equal(ActionStatus.Skipped, (await approval.SendAsync(alert, CancellationToken.None)).Status);
        alert.Status = AlertStatus.Acknowledged;
        Assert.Equal(ActionStatus.Skipped, (await new RelayChannel("escalation", () => [email]).SendAsync(alert, CancellationToken.None)).Status);
        Assert.Equal(2, teams.Calls);
    }

    private sealed class Answering(string name, ChannelResult result) : INotificationChannel
    {
        public ChannelResult Result { get; set; } = result;

        public int Calls { get; private set; }

        public string Name => name;

        public Task<ChannelResult> SendAsync(Alert alert, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(Result);
        }
    }
}
