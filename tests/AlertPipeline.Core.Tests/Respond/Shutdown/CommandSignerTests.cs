using System.Text.Json.Nodes;
using AlertPipeline.Core.Respond.Shutdown;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Respond.Shutdown;

public sealed class CommandSignerTests
{
    private const string Key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes, test-only
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 14, 3, 20, 4, TimeSpan.Zero));

    private ShutdownCommand Unsigned() => new()
    {
        CommandId = "c1",
        SandboxId = "rl-env-7731",
        AlertId = "a1",
        RuleId = "r1",
        Reason = "Crypto miner on sandbox GPUs",
        IssuedAt = _time.GetUtcNow(),
        ExpiresAt = _time.GetUtcNow().AddMinutes(10),
    };

    [Fact]
    public void Signed_command_verifies_until_it_expires()
    {
        var signer = new CommandSigner(Key, "k1", _time);
        var json = CommandSigner.ToJson(signer.Sign(Unsigned()));

        var verified = signer.Verify(json, out var reason);
        Assert.Equal("ok", reason);
        Assert.Equal("rl-env-7731", verified!.SandboxId);

        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(signer.Verify(json, out reason));
        Assert.Equal("expired", reason);
    }

    [Theory]
    [InlineData("sandboxId", "rl-env-0001")]
    [InlineData("action", "delete")]
    [InlineData("action", "suspend")]
    [InlineData("nonce", "AAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("expiresAt", "2099-01-01T00:00:00+00:00")]
    public void Any_tampered_field_breaks_the_signature(string field, string value)
    {
        var signer = new CommandSigner(Key, "k1", _time);
        var node = JsonNode.Parse(CommandSigner.ToJson(signer.Sign(Unsigned())))!;
        node[field] = value;

        Assert.Null(signer.Verify(node.ToJsonString(), out var reason));
        Assert.Equal("bad signature", reason);
    }

    [Fact]
    public void Another_key_or_garbage_is_refused()
    {
        var json = CommandSigner.ToJson(new CommandSigner(Key, "k1", _time).Sign(Unsigned()));
        var other = new CommandSigner(Convert.ToBase64String(new byte[32]), "k1", _time);

        Assert.Null(other.Verify(json, out var reason));
        Assert.Equal("bad signature", reason);
        Assert.Null(other.Verify("{not json", out reason));
        Assert.Equal("malformed command", reason);
    }

    [Fact]
    public void Short_or_non_base64_keys_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new CommandSigner(Convert.ToBase64String(new byte[16]), "k1"));
        Assert.Throws<ArgumentException>(() => new CommandSigner("not base64!", "k1"));
    }

    [Fact]
    public void Every_signing_has_its_own_nonce()
    {
        var signer = new CommandSigner(Key, "k1", _time);

        var a = signer.Sign(Unsigned());
        var b = signer.Sign(Unsigned());

        Assert.Equal(22, a.Nonce.Length); // 128 bits, base64url
        Assert.NotEqual(a.Nonce, b.Nonce);
    }

    [Fact]
    public void A_rotated_signer_still_verifies_commands_of_the_retired_key_it_is_given_and_no_other()
    {
        const string NewKey = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
        var old = CommandSigner.ToJson(new CommandSigner(Key, "k1", _time).Sign(Unsigned()));
        var rotated = new CommandSigner(NewKey, "k2", _time, new Dictionary<string, string> { ["k1"] = Key });
        var fresh = rotated.Sign(Unsigned());

        Assert.Equal("k2", fresh.KeyId);
        Assert.NotNull(rotated.Verify(old, out var reason));
        Assert.NotNull(rotated.Verify(CommandSigner.ToJson(fresh), out reason));
        Assert.Null(new CommandSigner(NewKey, "k2", _time).Verify(old, out reason));
        Assert.Equal("unknown signing key", reason);
    }

    [Theory]
    [InlineData("shutdown")]
    [InlineData("isolate-network")]
    [InlineData("suspend")]
    public void Each_supported_action_can_be_signed_and_verified(string action)
    {
        var signer = new CommandSigner(Key, "k1", _time);

        var verified = signer.Verify(CommandSigner.ToJson(signer.Sign(Unsigned() with { Action = action })), out var reason);

        Assert.Equal(("ok", action), (reason, verified?.Action));
    }

    [Fact]
    public void An_unsupported_action_is_refused_even_when_signed()
    {
        var signer = new CommandSigner(Key, "k1", _time);

        Assert.Null(signer.Verify(CommandSigner.ToJson(signer.Sign(Unsigned() with { Action = "rm -rf" })), out var reason));
        Assert.Equal("unsupported action or missing nonce", reason);
    }
}
