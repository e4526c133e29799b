using System.Security.Cryptography;
using System.Text;

namespace AlertPipeline.Core.Respond.Incidents;

/// <summary>Deterministic incident ids, so redelivery and racing instances converge on one incident.</summary>
public static class IncidentIds
{
    /// <summary>The id of <paramref name="sandboxId"/>'s incident number <paramref name="sequence"/>: <c>inc-</c> and 24 hex chars, safe as a Table key and in a URL.</summary>
    public static string For(string sandboxId, int sequence)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{sandboxId}\n{sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)}"), hash);
        return "inc-" + Convert.ToHexStringLower(hash[..12]);
    }

    /// <summary>Whether <paramref name="id"/> has the shape <see cref="For"/> gives, so a read surface can refuse anything else before it reaches a store key.</summary>
    public static bool IsWellFormed(string? id)
    {
        if (id is not { Length: 28 } || !id.StartsWith("inc-", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in id.AsSpan(4))
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
