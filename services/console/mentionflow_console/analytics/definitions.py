"""Every figure's definition, written on the analytics page and in the client report."""

from __future__ import annotations

STOP_WORDS = sorted({
    # English
    "about", "after", "again", "also", "been", "before", "being", "could", "does", "doing", "done", "from",
    "have", "having", "here", "into", "just", "like", "more", "much", "only", "other", "please", "really",
    "same", "should", "since", "some", "still", "than", "that", "their", "them", "then", "there", "these",
    "they", "this", "those", "very", "want", "were", "what", "when", "where", "which", "while", "will",
    "with", "would", "your", "yours", "thanks", "thank",
    # French
    "alors", "aussi", "avec", "avoir", "cela", "cette", "comme", "dans", "depuis", "donc", "elle", "encore",
    "être", "fait", "faire", "leur", "mais", "merci", "même", "nous", "pour", "plus", "quand", "rien",
    "sans", "sont", "tout", "tous", "toujours", "très", "vous", "votre", "vos",
})
MIN_TERM_COUNT = 2

DEFINITIONS: list[tuple[str, str]] = [
    ("Period", "Whole days in the brand's time zone, both ends included. The comparison is the same number of "
               "days just before (for the monthly report: the previous calendar month)."),
    ("Volume", "Mentions of the brand posted on X in the period (the post's own time), by the category, "
               "sentiment and language they were routed with. The queue filter keeps the items routed to that "
               "queue; the agent filter the items assigned to that person."),
    ("First response", "From the moment the mention was posted to the first reply a community manager sent from "
                       "the console for it (items closed without a reply have no first response)."),
    ("Resolution", "From the moment the mention was posted to the moment it was resolved in the console."),
    ("Business hours", "Time counted only while the brand is open, in its time zone, per its calendar in the "
                       "brand config (the SLA clock's calendar); a daylight-saving change counts the real "
                       "hours. Wall-clock counts every minute."),
    ("Median, p90", "Half of the items took at most the median, 90 % at most the p90 (linear interpolation "
                    "between the two nearest items)."),
    ("SLA attainment", "Items whose first reply came at or before their SLA due time, out of the items that were "
                       "answered or whose due time has passed. The due time is routing's, per priority."),
    ("Backlog", "Items posted before the end of the period (or now, for a period not over) and not resolved by "
                "then; age is the time since the post."),
    ("Replies per agent", "Replies sent from the console in the period, by who sent them."),
    ("Growing terms", f"Among complaints: words of four letters or more (handles, links and common words left "
                      f"out) and hashtags, each counted once per complaint; those used in at least "
                      f"{MIN_TERM_COUNT} complaints of the period, ranked by growth over the previous period."),
    ("Follower growth", "Each brand account's followers, following and posts, looked up once a day (UTC day) on "
                        "X. Net change: the count on the period's last day with counts minus the count on the "
                        "last day with counts in the week before the period (else the period's first such day). "
                        "A day X refused or that was never looked up is missing: a gap in the chart, never a "
                        "zero."),
    ("Incidents", "Brand-level spikes detected by classify, opened in the period. Time to acknowledge runs from "
                  "the opening to a lead's acknowledgement, round the clock. The queue and agent filters do not "
                  "apply."),
]
