using System.Globalization;
using System.Text;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Storage;

/// <summary>
/// A JSON document kept in one Table entity as columns <c>Json0..JsonN</c>: one string property holds at most 32K
/// characters, one entity at most 1 MiB. Shared by the stores that keep a whole document per row (alerts, incidents),
/// so the split, the surrogate-pair rule and the size limit are written once.
/// </summary>
internal static class TableJsonColumns
{
    /// <summary>Characters of JSON per column: the Table limit for one string property.</summary>
    public const int ChunkLength = TableKeys.MaxStringLength;

    /// <summary>
    /// Most JSON columns written. An entity holds at most 1 MiB; 14 full columns (896 KiB) leave room for the scalar columns.
    /// </summary>
    public const int MaxChunks = 14;

    /// <summary>Longest document that fits, with slack for surrogate-pair adjustments at chunk boundaries.</summary>
    public const int MaxLength = (ChunkLength * MaxChunks) - MaxChunks;

    private const string Column = "Json";

    /// <summary>Writes <paramref name="json"/> (at most <see cref="MaxLength"/>) into <paramref name="entity"/>'s JSON columns.</summary>
    public static void Write(TableEntity entity, string json)
    {
        if (json.Length > MaxLength)
        {
            throw new ArgumentException($"A document of {json.Length} characters does not fit one Table entity (limit {MaxLength}).", nameof(json));
        }

        for (int i = 0, offset = 0; offset < json.Length; i++)
        {
            var length = Math.Min(ChunkLength, json.Length - offset);

            // Keep surrogate pairs whole: a lone surrogate would be mangled by the UTF-8 wire format.
            if (offset + length < json.Length && char.IsHighSurrogate(json[offset + length - 1]))
            {
                length--;
            }

            entity[Column + i.ToString(CultureInfo.InvariantCulture)] = json.Substring(offset, length);
            offset += length;
        }
    }

    /// <summary>The document of <paramref name="entity"/>'s JSON columns (empty when it has none).</summary>
    public static string Read(TableEntity entity)
    {
        var json = new StringBuilder();
        for (var i = 0; entity.TryGetValue(Column + i.ToString(CultureInfo.InvariantCulture), out var part) && part is string text; i++)
        {
            json.Append(text);
        }

        return json.ToString();
    }
}
