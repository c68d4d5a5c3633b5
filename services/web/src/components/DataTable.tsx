import { type ReactNode, useId } from "react";
import { SelectField } from "./SelectField.tsx";

/** A column's name; hidden ones (an actions column) are read by screen readers and label no card cell. */
export type DataTableHeader = string | { label: string; hidden: true };

export interface DataTableRow {
  key: string;
  cells: ReactNode[];
  /** data-testid of the row. */
  testId?: string;
}

/**
 * An order chosen by a column's header: `keys` gives each column's sort key, or null for a column that
 * does not sort. Ascending only; the phone's cards, which have no header, get a "Trier par" select.
 */
export interface DataTableSort<S extends string> {
  keys: (S | null)[];
  current: S;
  onSort(key: S): void;
}

/**
 * A list as a table: on a wide screen it scrolls within its frame when it is wider than the page (the
 * frame is a named region the keyboard can reach and scroll), on a phone each row becomes a card
 * whose cells are labelled by their column (WCAG 1.4.10: nothing wider than the window). DSFR's table
 * markup; the caption names the region and is read by screen readers only.
 */
export function DataTable<S extends string = never>({
  caption,
  headers,
  rows,
  stack = true,
  className,
  sort,
  testId,
  rowHeader = false,
}: {
  caption: string;
  /** One per column; each also labels its cell in a card. */
  headers: DataTableHeader[];
  rows: DataTableRow[];
  /** Cards on a phone (the default); false keeps a table scrolling in its frame. */
  stack?: boolean;
  className?: string;
  sort?: DataTableSort<S>;
  /** data-testid of the table element. */
  testId?: string;
  /** The first cell of each row names the row (a cross-table's category): a row header for screen readers. */
  rowHeader?: boolean;
}) {
  const labels = headers.map((h) => (typeof h === "string" ? h : h.label));
  const sortId = useId();
  const sortOptions = sort
    ? sort.keys.flatMap((key, i) => (key === null ? [] : [[key, labels[i]] as const]))
    : [];
  return (
    <>
      {sort && stack && (
        <SelectField<S>
          id={`${sortId}-sort`}
          label="Trier par"
          value={sort.current}
          options={sortOptions}
          onChange={sort.onSort}
          className="pris-table__sort"
        />
      )}
      <div
        className={[
          "fr-table fr-table--no-caption fr-table--multiline pris-table",
          stack ? "pris-table--stack" : "",
          className ?? "",
        ]
          .filter(Boolean)
          .join(" ")}
      >
        <div className="fr-table__wrapper">
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a frame that scrolls must be reachable by the keyboard */}
          <section className="fr-table__container" tabIndex={0} aria-label={caption}>
            <div className="fr-table__content">
              <table data-testid={testId}>
                <caption>{caption}</caption>
                <thead>
                  <tr>
                    {headers.map((h, i) => {
                      const key = sort?.keys[i] ?? null;
                      if (sort && key !== null) {
                        return (
                          <th
                            key={labels[i]}
                            scope="col"
                            aria-sort={key === sort.current ? "ascending" : "none"}
                          >
                            <button
                              type="button"
                              className="pris-sort"
                              onClick={() => sort.onSort(key)}
                              title={`Trier par ${labels[i]?.toLowerCase()}`}
                            >
                              {labels[i]}
                              <span aria-hidden="true">{key === sort.current ? " ▲" : " ↕"}</span>
                            </button>
                          </th>
                        );
                      }
                      return (
                        <th key={labels[i]} scope="col">
                          {typeof h === "string" ? h : <span className="fr-sr-only">{h.label}</span>}
                        </th>
                      );
                    })}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) => (
                    <tr key={row.key} data-testid={row.testId}>
                      {row.cells.map((cell, i) => {
                        const label = typeof headers[i] === "string" ? headers[i] : "";
                        return rowHeader && i === 0 ? (
                          <th key={labels[i] ?? i} scope="row" data-label={label}>
                            {cell}
                          </th>
                        ) : (
                          <td key={labels[i] ?? i} data-label={label}>
                            {cell}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </div>
      </div>
    </>
  );
}
