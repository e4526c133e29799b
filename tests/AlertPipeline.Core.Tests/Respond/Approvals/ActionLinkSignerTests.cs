using System.Web;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Respond.Approvals;

public sealed class ActionLinkSignerTests
{
    private const string Key = "YWN0aW9uLWxpbmstdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=";
    private const string OldKey = "b2xkLWFjdGlvbi1saW5rLWtleS0zMi1ieXRlcy1sb25nISE=";
    private static readonly Uri Base = new("https://func-alertpipe.example/");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 14, 3, 20, 0, TimeSpan.Zero));

    private ActionLinkSigner Signer(string key = Key, string keyId = "a2", IReadOnlyDictionary<string, string>? retired = null) => new(key, keyId, _time, retired);

    private static ActionLink Parse(Uri url)
    {
        var segments = url.AbsolutePath.Split('/');
        var query = HttpUtility.ParseQueryString(url.Query);
        return ActionLink.TryRead(Uri.UnescapeDataString(segments[^2]), segments[^1], name => query[name], out var reason)
            ?? throw new InvalidOperationException(reason);
    }

    [Fact]
    public void A_signed_link_survives_its_url_and_verifies()
    {
        var link = Signer().Sign("5f0c3e9a7b21d4e8", AlertAction.Approve, TimeSpan.FromHours(2), "ops@example.com, oncall@example.com");
        var url = link.ToUri(Base);

        Assert.StartsWith("https://func-alertpipe.example/api/actions/5f0c3e9a7b21d4e8/approve?exp=", url.AbsoluteUri, StringComparison.Ordinal);
        var read = Parse(url);
        Assert.Equal(link, read);
        Assert.Equal(LinkVerdict.Valid, Signer().Verify(read));
        Assert.Equal(22, link.Nonce.Length);
    }

    [Fact]
    public void Each_link_has_its_own_nonce()
    {
        var signer = Signer();
        Assert.NotEqual(signer.Sign("a", AlertAction.Acknowledge, TimeSpan.FromHours(1), null).Nonce, signer.Sign("a", AlertAction.Acknowledge, TimeSpan.FromHours(1), null).Nonce);
    }

    public static TheoryData<string> Tampered => new() { "alert", "action", "expiry", "recipient", "nonce", "signature" };

    [Theory]
    [MemberData(nameof(Tampered))]
    public void Any_change_to_a_signed_field_is_forged(string field)
    {
        var link = Signer().Sign("5f0c3e9a7b21d4e8", AlertAction.Acknowledge, TimeSpan.FromHours(24), "ops@example.com");
        var changed = field switch
        {
            "alert" => link with { AlertId = "0000000000000000" },
            "action" => link with { Action = AlertAction.Approve },
            "expiry" => link with { ExpiresAt = link.ExpiresAt.AddDays(30) },
            "recipient" => link with { Recipient = "mallory@example.com" },
            "nonce" => link with { Nonce = "AAAAAAAAAAAAAAAAAAAAAA" },
            _ => link with { Signature = link.Signature[..^2] + (link.Signature[^2] == 'A' ? "BB" : "AA") },
        };

        Assert.Equal(LinkVerdict.Forged, Signer().Verify(changed));
    }

    [Fact]
    public void Expiry_is_enforced_after_the_signature()
    {
        var link = Signer().Sign("a", AlertAction.Approve, TimeSpan.FromMinutes(30), null);
        _time.Advance(TimeSpan.FromMinutes(30));

        Assert.Equal(LinkVerdict.Expired, Signer().Verify(link));
    }

    [Fact]
    public void Rotation_accepts_a_retired_key_and_refuses_an_unknown_one()
    {
        var old = Signer(OldKey, "a1").Sign("a", AlertAction.Acknowledge, TimeSpan.FromHours(1), null);

        Assert.Equal(LinkVerdict.Valid, Signer(retired: new Dictionary<string, string> { ["a1"] = OldKey }).Verify(old));
        Assert.Equal(LinkVerdict.UnknownKey, Signer().Verify(old));
        Assert.Equal(LinkVerdict.UnknownKey, Signer().Verify(old with { KeyId = "nope" }));
    }

    [Fact]
    public void A_recipient_cannot_carry_a_line_break_into_the_signed_form()
    {
        var link = Signer().Sign("a", AlertAction.Acknowledge, TimeSpan.FromHours(1), "ops@example.com\r\nkid\nevil");

        Assert.DoesNotContain('\n', link.Recipient);
        Assert.Equal(7, ActionLinkSigner.CanonicalForm(link).Split('\n').Length);
        Assert.Equal(LinkVerdict.Valid, Signer().Verify(Parse(link.ToUri(Base))));
    }

    [Theory]
    [InlineData("a1", "delete", "1", "n", "k", "s")]
    [InlineData("a1", "Approve", "1", "n", "k", "s")]
    [InlineData("a1", "approve", "-5", "n", "k", "s")]
    [InlineData("a1", "approve", "99999999999999999999", "n", "k", "s")]
    [InlineData("a1", "approve", "1", "", "k", "s")]
    [InlineData("a1", "approve", "1", "n", null, "s")]
    [InlineData("", "approve", "1", "n", "k", "s")]
    public void Malformed_links_are_not_read(string alertId, string action, string exp, string nonce, string? kid, string sig)
    {
        var query = new Dictionary<string, string?> { ["exp"] = exp, ["nonce"] = nonce, ["kid"] = kid, ["sig"] = sig };

        Assert.Null(ActionLink.TryRead(alertId, action, name => query.GetValueOrDefault(name), out var reason));
        Assert.False(string.IsNullOrEmpty(reason));
    }

    [Fact]
    public void The_issuer_offers_approve_and_dismiss_only_while_a_command_is_held()
    {
        var issuer = new ActionLinkIssuer(Signer(), new ActionLinkOptions { BaseUrl = "https://func-alertpipe.example" });
        var alert = new Alert { AlertId = "a", RuleId = "r", RulePack = "p", Title = "t", Level = AlertLevel.Critical, SandboxId = "s" };

        Assert.Equal([AlertAction.Acknowledge], issuer.For(alert, null).Links.Select(l => l.Action));
        alert.Actions.Add(new ActionRecord { Channel = "shutdown", Status = ActionStatus.AwaitingApproval });
        Assert.Equal([AlertAction.Acknowledge, AlertAction.Approve, AlertAction.Dismiss], issuer.For(alert, null).Links.Select(l => l.Action));
        alert.Status = AlertStatus.Acknowledged;
        Assert.Equal([AlertAction.Approve, AlertAction.Dismiss], issuer.For(alert, null).Links.Select(l => l.Action));

        var unconfigured = new ActionLinkIssuer(Signer(), new ActionLinkOptions { BaseUrl = "javascript:alert(1)" }).For(alert, null);
        Assert.Empty(unconfigured.Links);
        Assert.NotNull(unconfigured.Notice);
        Assert.Same(ActionLinkSet.NotConfigured, new ActionLinkIssuer(null, new ActionLinkOptions { BaseUrl = "https://x.example" }).For(alert, null));
    }
}
