/**
 * The password policy, shared by the API (which enforces it) and the web app (which explains it as the
 * person types), after ANSSI's recommendations on passwords (guide "Recommandations relatives à
 * l'authentification multifacteur et aux mots de passe", 2021): a minimum length of 12 characters, a
 * generous maximum, no composition rules, and the rejection of common and guessable passwords measured by
 * a strength estimator (zxcvbn-ts with its common and French dictionaries) that also knows the person's
 * own name and e-mail, the service's name and the region's.
 *
 * The dictionaries weigh about a megabyte: they are imported on demand (loadPasswordEstimator), so the
 * web app loads them only on a page where a password is chosen.
 */

/** Counted in characters (code points), spaces at either end left out: they add nothing. */
export const PASSWORD_MIN_LENGTH = 12;
/** Long passphrases are welcome; beyond this a password is a pasted mistake, and costlier to check. */
export const PASSWORD_MAX_LENGTH = 128;
/**
 * The estimator's score required: 4 means at least 10^10 guesses for an attacker who knows the common
 * passwords, the dictionaries and the person's own details.
 */
export const PASSWORD_MIN_SCORE = 4;
/** The estimator looks at this many characters: beyond, a password is long enough, and the check costly. */
const ESTIMATOR_MAX_LENGTH = 64;

export type PasswordScore = 0 | 1 | 2 | 3 | 4;

/** What the estimator says of a password: the part of zxcvbn-ts's result the policy reads. */
export interface PasswordEstimate {
  score: PasswordScore;
  warning: string | null;
  suggestions: string[];
}

export interface PasswordEstimator {
  estimate(password: string, userInputs: string[]): PasswordEstimate;
}

/** What is known of the person and the place, that a password should not lean on. */
export interface PasswordContext {
  email?: string | null;
  displayName?: string | null;
  regionName?: string | null;
  regionCode?: string | null;
}

export interface PasswordCheck {
  acceptable: boolean;
  /** 0 to 4, for a meter; 0 while too short. */
  score: PasswordScore;
  /** Why it is refused, in French, the first the most useful; empty when acceptable. */
  problems: string[];
  /** What would make it better, in French. */
  suggestions: string[];
}

/** The meter's words for each score. */
export const PASSWORD_SCORE_LABELS: Record<PasswordScore, string> = {
  0: "Très faible",
  1: "Faible",
  2: "Insuffisant",
  3: "Presque suffisant",
  4: "Solide",
};

/** zxcvbn-ts's feedback keys, rewritten in French (left untranslated, the estimator returns the keys). */
const WARNINGS: Record<string, string> = {
  straightRow: "Une rangée de touches du clavier se devine facilement.",
  keyPattern: "Un motif court sur le clavier se devine facilement.",
  simpleRepeat: "Un caractère répété (« aaa ») se devine facilement.",
  extendedRepeat: "Une suite de caractères répétée (« abcabcabc ») se devine facilement.",
  sequences: "Une suite comme « abc » ou « 1234 » se devine facilement.",
  recentYears: "Une année récente se devine facilement.",
  dates: "Une date se devine facilement.",
  topTen: "C'est l'un des mots de passe les plus utilisés.",
  topHundred: "C'est un mot de passe très souvent utilisé.",
  common: "C'est un mot de passe courant.",
  similarToCommon: "Il ressemble trop à un mot de passe courant.",
  wordByItself: "Un mot seul se devine facilement.",
  namesByThemselves: "Un nom ou un prénom seul se devine facilement.",
  commonNames: "Les noms et prénoms courants se devinent facilement.",
  userInputs: "Il reprend votre nom, votre adresse électronique, PRIS ou le nom de la région.",
  pwned: "Ce mot de passe figure dans des fuites de données publiées.",
};

const SUGGESTIONS: Record<string, string> = {
  l33t: "Remplacer « a » par « @ » ou « e » par « 3 » ne trompe personne.",
  reverseWords: "Un mot écrit à l'envers se devine aussi.",
  allUppercase: "Tout en majuscules n'aide guère.",
  capitalization: "Une majuscule en première lettre n'aide guère.",
  dates: "Évitez les dates et les années qui vous concernent.",
  recentYears: "Évitez les années récentes.",
  associatedYears: "Évitez les années qui vous concernent.",
  sequences: "Évitez les suites de caractères.",
  repeated: "Évitez les mots et caractères répétés.",
  longerKeyboardPattern: "Évitez les motifs de clavier.",
  anotherWord: "Ajoutez un ou deux mots peu courants.",
  useWords:
    "Une phrase de plusieurs mots sans rapport entre eux est facile à retenir et difficile à deviner.",
  noNeed: "Nul besoin de symboles, de chiffres ni de majuscules : la longueur compte le plus.",
  pwned: "Si vous l'utilisez ailleurs, changez-le là aussi.",
};

const TOO_SHORT = `Il doit compter au moins ${PASSWORD_MIN_LENGTH} caractères, sans compter les espaces au début et à la fin.`;
const TOO_LONG = `Il doit compter au plus ${PASSWORD_MAX_LENGTH} caractères.`;
const TOO_WEAK = "Il est trop facile à deviner.";
const PERSONAL =
  "Il repose sur votre nom, votre adresse électronique, PRIS ou le nom de la région : ajoutez des mots sans rapport avec vous.";

/** Lower case, accents removed, letters and digits only: "La Réunion" → "lareunion". */
function fold(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, "");
}

/** The words a password should not be made of: the person's name and e-mail, the service, the region. */
export function passwordUserInputs(context: PasswordContext): string[] {
  const words = new Set<string>(["pris"]);
  const add = (text: string | null | undefined) => {
    if (!text) return;
    const whole = text.toLowerCase().trim();
    if (whole) words.add(whole);
    for (const part of whole.split(/[\s._+@'-]+/)) {
      if (part.length >= 3) words.add(part);
      const plain = fold(part);
      if (plain.length >= 3) words.add(plain);
    }
    const folded = fold(text);
    if (folded.length >= 3) words.add(folded);
  };
  add(context.displayName);
  if (context.email) {
    const [local = "", domain = ""] = context.email.toLowerCase().split("@");
    add(local);
    // The domain's labels but its last (.fr, .test): the establishment's name is often in it.
    for (const label of domain.split(".").slice(0, -1)) add(label);
  }
  add(context.regionName);
  add(context.regionCode);
  return [...words];
}

/** What is left of a password once the person's and the place's words are taken out of it. */
function withoutUserInputs(password: string, inputs: string[]): { left: string; removed: boolean } {
  let left = fold(password);
  let removed = false;
  const folded = [...new Set(inputs.map(fold).filter((w) => w.length >= 3))].sort(
    (a, b) => b.length - a.length,
  );
  for (const word of folded) {
    if (left.includes(word)) {
      left = left.split(word).join("");
      removed = true;
    }
  }
  return { left, removed };
}

/** The length the policy counts: characters (not UTF-16 units), spaces at either end left out. */
export function passwordLength(password: string): number {
  return [...password.trim()].length;
}

/**
 * The policy's verdict on a password: long enough, not too long, hard enough to guess for someone who
 * knows the common passwords, French words and names, and the person's own details — and not made of
 * those details with a little around them.
 */
export function checkPassword(
  estimator: PasswordEstimator,
  password: string,
  context: PasswordContext = {},
): PasswordCheck {
  const length = passwordLength(password);
  if (length < PASSWORD_MIN_LENGTH) {
    return { acceptable: false, score: 0, problems: [TOO_SHORT], suggestions: [SUGGESTIONS.useWords!] };
  }
  if ([...password].length > PASSWORD_MAX_LENGTH) {
    return { acceptable: false, score: 4, problems: [TOO_LONG], suggestions: [] };
  }
  const inputs = passwordUserInputs(context);
  const estimate = estimator.estimate([...password].slice(0, ESTIMATOR_MAX_LENGTH).join(""), inputs);
  const problems: string[] = [];
  let score = estimate.score;
  const { left, removed } = withoutUserInputs(password, inputs);
  if (removed) {
    const rest = estimator.estimate(left, []);
    if ([...left].length < PASSWORD_MIN_LENGTH / 2 || rest.score < 3) {
      problems.push(PERSONAL);
      score = Math.min(score, 2) as PasswordScore;
    }
  }
  if (estimate.score < PASSWORD_MIN_SCORE) {
    const warning = estimate.warning ? WARNINGS[estimate.warning] : undefined;
    if (!(warning === WARNINGS.userInputs && problems.length > 0)) {
      problems.push(warning ? `${TOO_WEAK} ${warning}` : TOO_WEAK);
    }
  }
  const suggestions = estimate.suggestions.map((s) => SUGGESTIONS[s]).filter((s): s is string => !!s);
  if (problems.length > 0 && !suggestions.includes(SUGGESTIONS.useWords!)) {
    suggestions.push(SUGGESTIONS.useWords!);
  }
  return { acceptable: problems.length === 0, score, problems, suggestions };
}

let loading: Promise<PasswordEstimator> | undefined;

/**
 * The estimator with its dictionaries (common passwords, diceware words, French words, first and last
 * names, Wikipedia), loaded once on first use. Feedback comes back as keys, rewritten in French above.
 */
export function loadPasswordEstimator(): Promise<PasswordEstimator> {
  loading ??= (async () => {
    const [{ ZxcvbnFactory }, common, fr] = await Promise.all([
      import("@zxcvbn-ts/core"),
      import("@zxcvbn-ts/language-common"),
      import("@zxcvbn-ts/language-fr"),
    ]);
    const zxcvbn = new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...fr.dictionary },
      graphs: common.adjacencyGraphs,
      maxLength: ESTIMATOR_MAX_LENGTH,
    });
    return {
      estimate(password, userInputs) {
        const result = zxcvbn.check(password, userInputs);
        return {
          score: result.score,
          warning: result.feedback.warning,
          suggestions: result.feedback.suggestions,
        };
      },
    };
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
