// All shopper-facing text, Swedish and English, from one table.
// t('key', {name: 'x'}) fills {name}; keys with .one/.other variants pick by vars.n.

const LANG_KEY = 'shop.lang';
export const LANGS = ['sv', 'en'];

const strings = {
  sv: {
    'shop.name': 'Stuga',
    'shop.tagline': 'Saker för ett lugnt hem',
    'page.index': 'Produkter',
    'page.cart': 'Varukorg',
    'page.login': 'Logga in',
    'page.register': 'Skapa konto',
    'page.success': 'Tack för din beställning',
    'page.cancel': 'Betalningen avbröts',
    'page.orders': 'Mina beställningar',

    'nav.label': 'Huvudmeny',
    'nav.skip': 'Hoppa till innehållet',
    'footer.text': 'Betalningar hanteras säkert av Stripe.',
    'nav.home': 'Till startsidan',
    'nav.orders': 'Mina beställningar',
    'nav.cart': 'Varukorg',
    'nav.login': 'Logga in',
    'nav.register': 'Skapa konto',
    'nav.logout': 'Logga ut',
    'nav.loggedInAs': 'Inloggad som {name}',
    'nav.lang': 'Språk',
    'cart.countLabel.one': '{n} vara i varukorgen',
    'cart.countLabel.other': '{n} varor i varukorgen',

    'index.heading': 'Handplockat för vardagen',
    'index.intro': 'Enkla, vackra saker för köket och hemmet – gjorda för att användas varje dag.',
    'index.loading': 'Hämtar produkter…',
    'index.empty': 'Det finns inga produkter just nu. Titta in snart igen!',
    'index.add': 'Lägg i varukorgen',
    'index.added': 'Tillagd ✓',
    'index.addedToast': '{name} ligger nu i varukorgen.',
    'index.maxQty': 'Du har redan 99 st av {name} i varukorgen.',
    'index.viewCart': 'Visa varukorgen',
    'index.retry': 'Försök igen',

    'cart.heading': 'Din varukorg',
    'cart.empty': 'Varukorgen är tom.',
    'cart.emptyHint': 'Hitta något fint bland våra produkter.',
    'cart.continue': 'Fortsätt handla',
    'cart.unitPrice': '{price} / st',
    'cart.quantity': 'Antal',
    'cart.quantityFor': 'Antal av {name}',
    'cart.decrease': 'En färre {name}',
    'cart.increase': 'En till {name}',
    'cart.remove': 'Ta bort',
    'cart.removeItem': 'Ta bort {name} från varukorgen',
    'cart.removed': '{name} togs bort från varukorgen.',
    'cart.lineTotal': 'Summa',
    'cart.summary': 'Sammanfattning',
    'cart.items.one': '{n} vara',
    'cart.items.other': '{n} varor',
    'cart.subtotal': 'Delsumma',
    'cart.discount': 'Rabatt',
    'cart.total': 'Att betala',
    'cart.promoLabel': 'Rabattkod',
    'cart.promoPlaceholder': 't.ex. SAVE10',
    'cart.promoApply': 'Använd',
    'cart.promoChecking': 'Kontrollerar koden…',
    'cart.promoApplied': 'Koden {code} är tillagd.',
    'cart.promoRemove': 'Ta bort koden',
    'cart.promoEmpty': 'Skriv in en rabattkod först.',
    'cart.promoLogin': 'Logga in för att använda en rabattkod.',
    'cart.checkout': 'Gå till betalning',
    'cart.redirecting': 'Skickar dig till betalningen…',
    'cart.loginFirst': 'Logga in eller skapa ett konto för att betala. Din varukorg sparas.',
    'cart.unavailable': '{name} säljs inte längre.',
    'cart.unavailableRemove': 'Ta bort {name}',
    'cart.securePayment': 'Du betalar säkert med kort på nästa sida.',
    'cart.maxQty': 'Högst 99 st per vara.',
    'cart.mixedCurrency': 'Varukorgen innehåller olika valutor. Ta bort någon vara för att kunna betala.',

    'auth.email': 'E-post',
    'auth.password': 'Lösenord',
    'auth.name': 'Namn',
    'auth.passwordHint': 'Minst 8 tecken.',
    'auth.loginButton': 'Logga in',
    'auth.registerButton': 'Skapa konto',
    'auth.loginIntro': 'Välkommen tillbaka!',
    'auth.registerIntro': 'Ett konto behövs för att betala och se dina beställningar.',
    'auth.noAccount': 'Inget konto än?',
    'auth.haveAccount': 'Har du redan ett konto?',
    'auth.working': 'Ett ögonblick…',
    'auth.required': 'Fyll i det här fältet.',
    'auth.emailInvalid': 'Skriv en giltig e-postadress, t.ex. namn@exempel.se.',
    'auth.passwordShort': 'Lösenordet måste ha minst 8 tecken.',
    'auth.alreadyIn': 'Du är redan inloggad som {name}.',
    'auth.continue': 'Fortsätt',

    'success.pendingHeading': 'Din betalning',
    'success.checking': 'Vi bekräftar din betalning…',
    'success.waiting': 'Betalningen är inte bekräftad än. Vi försöker igen…',
    'success.notConfirmed': 'Betalningen är inte bekräftad än. Vänta en liten stund och försök igen – du debiteras inte två gånger.',
    'success.heading': 'Tack för din beställning!',
    'success.intro': 'Betalningen är klar. Här är din beställning.',
    'success.noSession': 'Vi hittade ingen betalning att visa.',
    'success.notFound': 'Vi hittade ingen beställning för den här betalningen.',
    'success.login': 'Logga in för att se din beställning.',
    'success.allOrders': 'Alla mina beställningar',
    'success.retry': 'Försök igen',

    'cancel.heading': 'Betalningen avbröts',
    'cancel.text': 'Ingen fara – ingenting har dragits och din varukorg finns kvar.',
    'cancel.back': 'Tillbaka till varukorgen',

    'orders.heading': 'Mina beställningar',
    'orders.loading': 'Hämtar dina beställningar…',
    'orders.empty': 'Du har inga beställningar än.',
    'orders.shop': 'Börja handla',
    'pending.heading': 'Betalningar som inte är klara',
    'pending.processing': 'Betalningen behandlas. Beställningen kommer hit när banken har bekräftat den.',
    'pending.failed': 'Betalningen gick inte igenom. Ingen beställning gjordes och inget drogs.',

    'order.number': 'Beställning',
    'order.date': 'Datum',
    'order.status': 'Status',
    'order.items': 'Varor',
    'order.qty': '{n} st × {price}',
    'order.subtotal': 'Delsumma',
    'order.discount': 'Rabatt',
    'order.discountCode': 'Rabatt ({code})',
    'order.total': 'Totalt',
    'status.paid': 'Betald',
    'status.unpaid': 'Ej betald',
    'status.pending': 'Väntar',
    'status.no_payment_required': 'Ingen betalning krävdes',
    'status.refunded': 'Återbetald',

    'error.network': 'Vi kunde inte nå butiken. Kontrollera din anslutning och försök igen.',
    'error.server': 'Något gick fel hos oss. Försök igen om en liten stund.',
    'error.too_many': 'För många försök. Vänta en minut och försök igen.',
    'error.too_large': 'Förfrågan var för stor. Försök med färre varor.',
    'error.unknown': 'Något gick fel. Försök igen.',
    'error.invalid_credentials': 'Fel e-postadress eller lösenord.',
    'error.email_taken': 'Det finns redan ett konto med den e-postadressen. Logga in i stället?',
    'error.not_logged_in': 'Du behöver logga in först.',
    'error.price_unavailable': 'En vara i varukorgen säljs inte längre.',
    'error.payment_not_confirmed': 'Betalningen är inte bekräftad än.',
    'error.payment_processing': 'Betalningen behandlas. Beställningen syns under Mina beställningar så snart banken har bekräftat den.',
    'error.session_expired': 'Betalsidan har gått ut. Inget har dragits.',
    'error.not_found': 'Det du letade efter finns inte.',
    'error.stripe_unavailable': 'Betaltjänsten svarar inte just nu. Försök igen om en stund.',
    'error.mixed_currencies': 'Varorna har olika valutor och kan inte betalas tillsammans.',
    'error.promotion_code_not_found': 'Den rabattkoden finns inte. Kontrollera stavningen.',
    'error.promotion_code_not_applicable': 'Rabattkoden gäller inte för den här beställningen.',
    'error.session_not_found': 'Vi hittade ingen sådan betalning.',
    'error.stripe_timeout': 'Betaltjänsten svarade inte i tid. Försök igen om en stund.',
    'error.stripe_busy': 'Betaltjänsten har mycket att göra just nu. Försök igen om en stund.',
    'error.stripe_error': 'Betaltjänsten kunde inte ta emot beställningen. Försök igen om en stund.',
    'promo.invalid': 'Rabattkoden gäller inte längre.',
    'promo.expired': 'Rabattkoden har gått ut.',
    'promo.usedUp': 'Rabattkoden är redan förbrukad.',
    'promo.otherCustomer': 'Rabattkoden är personlig och hör till en annan kund.',
    'promo.minimum': 'Rabattkoden gäller när du handlar för minst {amount}.',
    'promo.firstOrder': 'Rabattkoden gäller bara din första beställning.',
    'promo.otherCurrency': 'Rabattkoden gäller en annan valuta.',
    'promo.percentOff': '{pct} % rabatt',
    'promo.amountOff': '{amount} rabatt',
    'auth.passwordLong': 'Lösenordet är för långt (högst 256 tecken).',
    'auth.nameInvalid': 'Skriv ditt namn (högst 100 tecken).',
    'auth.passwordInvalid': 'Lösenordet måste ha 8–256 tecken.',
  },
  en: {
    'shop.name': 'Stuga',
    'shop.tagline': 'Things for a calm home',
    'page.index': 'Products',
    'page.cart': 'Cart',
    'page.login': 'Log in',
    'page.register': 'Create account',
    'page.success': 'Thank you for your order',
    'page.cancel': 'Payment cancelled',
    'page.orders': 'My orders',

    'nav.label': 'Main menu',
    'nav.skip': 'Skip to content',
    'footer.text': 'Payments are handled securely by Stripe.',
    'nav.home': 'Go to the home page',
    'nav.orders': 'My orders',
    'nav.cart': 'Cart',
    'nav.login': 'Log in',
    'nav.register': 'Register',
    'nav.logout': 'Log out',
    'nav.loggedInAs': 'Logged in as {name}',
    'nav.lang': 'Language',
    'cart.countLabel.one': '{n} item in the cart',
    'cart.countLabel.other': '{n} items in the cart',

    'index.heading': 'Hand-picked for everyday life',
    'index.intro': 'Simple, beautiful things for the kitchen and the home – made to be used every day.',
    'index.loading': 'Loading products…',
    'index.empty': 'No products right now. Come back soon!',
    'index.add': 'Add to cart',
    'index.added': 'Added ✓',
    'index.addedToast': '{name} is now in your cart.',
    'index.maxQty': 'You already have 99 of {name} in your cart.',
    'index.viewCart': 'View cart',
    'index.retry': 'Try again',

    'cart.heading': 'Your cart',
    'cart.empty': 'Your cart is empty.',
    'cart.emptyHint': 'Find something nice among our products.',
    'cart.continue': 'Continue shopping',
    'cart.unitPrice': '{price} each',
    'cart.quantity': 'Quantity',
    'cart.quantityFor': 'Quantity of {name}',
    'cart.decrease': 'One fewer {name}',
    'cart.increase': 'One more {name}',
    'cart.remove': 'Remove',
    'cart.removeItem': 'Remove {name} from the cart',
    'cart.removed': '{name} was removed from your cart.',
    'cart.lineTotal': 'Total',
    'cart.summary': 'Summary',
    'cart.items.one': '{n} item',
    'cart.items.other': '{n} items',
    'cart.subtotal': 'Subtotal',
    'cart.discount': 'Discount',
    'cart.total': 'Total',
    'cart.promoLabel': 'Discount code',
    'cart.promoPlaceholder': 'e.g. SAVE10',
    'cart.promoApply': 'Apply',
    'cart.promoChecking': 'Checking the code…',
    'cart.promoApplied': 'Code {code} applied.',
    'cart.promoRemove': 'Remove code',
    'cart.promoEmpty': 'Type a discount code first.',
    'cart.promoLogin': 'Log in to use a discount code.',
    'cart.checkout': 'Go to payment',
    'cart.redirecting': 'Taking you to the payment page…',
    'cart.loginFirst': 'Log in or create an account to pay. Your cart is kept.',
    'cart.unavailable': '{name} is no longer sold.',
    'cart.unavailableRemove': 'Remove {name}',
    'cart.securePayment': 'You pay securely by card on the next page.',
    'cart.maxQty': 'At most 99 of each item.',
    'cart.mixedCurrency': 'Your cart holds items in different currencies. Remove one to be able to pay.',

    'auth.email': 'Email',
    'auth.password': 'Password',
    'auth.name': 'Name',
    'auth.passwordHint': 'At least 8 characters.',
    'auth.loginButton': 'Log in',
    'auth.registerButton': 'Create account',
    'auth.loginIntro': 'Welcome back!',
    'auth.registerIntro': 'You need an account to pay and to see your orders.',
    'auth.noAccount': 'No account yet?',
    'auth.haveAccount': 'Already have an account?',
    'auth.working': 'One moment…',
    'auth.required': 'Please fill in this field.',
    'auth.emailInvalid': 'Enter a valid email address, e.g. name@example.com.',
    'auth.passwordShort': 'The password needs at least 8 characters.',
    'auth.alreadyIn': 'You are already logged in as {name}.',
    'auth.continue': 'Continue',

    'success.pendingHeading': 'Your payment',
    'success.checking': 'Confirming your payment…',
    'success.waiting': 'Payment not confirmed yet. Trying again…',
    'success.notConfirmed': 'Payment not confirmed yet. Please wait a moment and try again – you will not be charged twice.',
    'success.heading': 'Thank you for your order!',
    'success.intro': 'Your payment went through. Here is your order.',
    'success.noSession': 'There is no payment to show.',
    'success.notFound': 'We found no order for this payment.',
    'success.login': 'Log in to see your order.',
    'success.allOrders': 'All my orders',
    'success.retry': 'Try again',

    'cancel.heading': 'Payment cancelled',
    'cancel.text': 'No worries – nothing was charged and your cart is kept.',
    'cancel.back': 'Back to the cart',

    'orders.heading': 'My orders',
    'orders.loading': 'Loading your orders…',
    'orders.empty': 'You have no orders yet.',
    'orders.shop': 'Start shopping',
    'pending.heading': 'Payments not yet complete',
    'pending.processing': 'The payment is being processed. The order appears here once the bank confirms it.',
    'pending.failed': 'The payment did not go through. No order was made and nothing was charged.',

    'order.number': 'Order',
    'order.date': 'Date',
    'order.status': 'Status',
    'order.items': 'Items',
    'order.qty': '{n} × {price}',
    'order.subtotal': 'Subtotal',
    'order.discount': 'Discount',
    'order.discountCode': 'Discount ({code})',
    'order.total': 'Total',
    'status.paid': 'Paid',
    'status.unpaid': 'Not paid',
    'status.pending': 'Pending',
    'status.no_payment_required': 'No payment required',
    'status.refunded': 'Refunded',

    'error.network': 'We could not reach the shop. Check your connection and try again.',
    'error.server': 'Something went wrong on our side. Please try again in a moment.',
    'error.too_many': 'Too many attempts. Wait a minute and try again.',
    'error.too_large': 'The request was too large. Try with fewer items.',
    'error.unknown': 'Something went wrong. Please try again.',
    'error.invalid_credentials': 'Wrong email or password.',
    'error.email_taken': 'There is already an account with that email. Log in instead?',
    'error.not_logged_in': 'Please log in first.',
    'error.price_unavailable': 'An item in your cart is no longer sold.',
    'error.payment_not_confirmed': 'Payment not confirmed yet.',
    'error.payment_processing': 'Your payment is being processed. The order appears under My orders as soon as the bank confirms it.',
    'error.session_expired': 'This payment page has expired. Nothing was charged.',
    'error.not_found': 'What you were looking for does not exist.',
    'error.promotion_code_not_found': 'This discount code does not exist.',
    'error.stripe_unavailable': 'The payment service is not answering right now. Please try again shortly.',
    'error.mixed_currencies': 'The items have different currencies and cannot be paid together.',
    'error.promotion_code_not_found': 'There is no such discount code. Check the spelling.',
    'error.promotion_code_not_applicable': 'This discount code does not apply to this order.',
    'error.session_not_found': 'We found no such payment.',
    'error.stripe_timeout': 'The payment service did not answer in time. Please try again shortly.',
    'error.stripe_busy': 'The payment service is busy right now. Please try again shortly.',
    'error.stripe_error': 'The payment service could not take the order. Please try again shortly.',
    'promo.invalid': 'This discount code is no longer valid.',
    'promo.expired': 'This discount code has expired.',
    'promo.usedUp': 'This discount code has been used up.',
    'promo.otherCustomer': 'This discount code belongs to another customer.',
    'promo.minimum': 'This discount code applies to orders of at least {amount}.',
    'promo.firstOrder': 'This discount code is only for your first order.',
    'promo.otherCurrency': 'This discount code is for another currency.',
    'promo.percentOff': '{pct} % off',
    'promo.amountOff': '{amount} off',
    'auth.passwordLong': 'The password is too long (at most 256 characters).',
    'auth.nameInvalid': 'Please enter your name (at most 100 characters).',
    'auth.passwordInvalid': 'The password needs 8–256 characters.',
  },
};

function stored() {
  try { return localStorage.getItem(LANG_KEY); } catch { return null; }
}

function detect() {
  const s = stored();
  if (LANGS.includes(s)) return s;
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || '';
  return nav.toLowerCase().startsWith('sv') ? 'sv' : 'en';
}

let current = detect();
const listeners = [];

export function lang() { return current; }

/** The locale used for dates: Swedish or British English (day before month). */
export function locale() { return current === 'sv' ? 'sv-SE' : 'en-GB'; }

export function setLang(l) {
  if (!LANGS.includes(l) || l === current) return;
  current = l;
  try { localStorage.setItem(LANG_KEY, l); } catch { /* private mode: the switch lasts this page */ }
  applyStatic();
  for (const fn of listeners) fn(l);
}

/** Call fn after every language switch (pages re-render their dynamic parts). */
export function onLangChange(fn) { listeners.push(fn); }

export function has(key) { return key in strings[current] || key in strings.en; }

export function t(key, vars = {}) {
  let k = key;
  if (typeof vars.n === 'number' && (`${key}.one` in strings[current])) {
    k = `${key}.${vars.n === 1 ? 'one' : 'other'}`;
  }
  const s = strings[current][k] ?? strings.en[k] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/**
 * Fills the static text of the page: data-i18n sets textContent, data-i18n-placeholder and
 * data-i18n-aria-label set those attributes; <title data-i18n> gets "Page · Shop".
 */
export function applyStatic(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  }
  const title = document.querySelector('title[data-page]');
  if (title) title.textContent = `${t(title.dataset.page)} · ${t('shop.name')}`;
}
