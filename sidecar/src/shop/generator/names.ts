// Word lists the generator draws from. Some names carry apostrophes and non-ASCII letters on
// purpose, so escaping and byte-counted PHP strings get exercised.

export const FIRST_NAMES = [
  'Omar', 'Aisha', 'Felix', 'Paul', 'Sean', 'Arjun', 'Caleb', 'Ivy', 'Theo', 'Mateo', 'Leo', 'Isaac', 'Ingrid', 'Liam', 'Wei', 'Miles',
  'Sophia', 'Aurora', 'Finn', 'Diego', 'Hana', 'Zoë', 'Chloé', 'Björn', 'Noah', 'Emma', 'Olivia', 'Ava', 'Lucas', 'Mia', 'Amelia', 'Ethan',
  'Harper', 'Elena', 'Jonas', 'Lena', 'Marta', 'Pedro', 'Yuki', 'Kenji', 'Priya', 'Ravi', 'Fatima', 'Youssef', 'Nora', 'Oscar', 'Clara',
  'Hugo', 'Léa', 'Sven', 'Astrid', 'Mohammed', 'Grace', 'Daniel', 'Sara', 'Tomás', 'Ana', 'Jakub', 'Zofia', 'Niamh', 'Declan',
];

export const LAST_NAMES = [
  'Müller', 'Adams', 'Walker', 'Novak', 'Shah', 'Thomas', 'Harris', 'Fischer', 'Tanaka', 'Allen', 'Clark', 'Kim', 'Byrne', 'Hill', 'Chen',
  'Brown', 'Wright', 'Johnson', 'Levi', "O'Brien", 'García', 'Kowalski', 'Martin', 'Smith', 'Jones', 'Nguyen', 'Rossi', 'Dubois',
  'Schmidt', 'Jansen', 'Silva', 'Santos', 'Andersson', 'Nielsen', 'Ivanova', 'Kaya', 'Patel', 'Singh', 'Cohen', 'Murphy', 'Kelly',
  'Suzuki', 'Sato', 'Park', 'Lee', 'Wong', 'Lopez', 'Moreau', 'Bianchi', 'Weber', 'Wagner', 'Becker', 'Hoffmann', 'Dvořák', 'Łukasik',
];

export const COUNTRIES: ReadonlyArray<readonly [{ code: string; locale: string; city: string; postcode: string; state: string }, number]> = [
  [{ code: 'US', locale: 'en_US', city: 'Portland', postcode: '97209', state: 'OR' }, 45],
  [{ code: 'GB', locale: 'en_GB', city: 'London', postcode: 'SW1A 1AA', state: '' }, 10],
  [{ code: 'DE', locale: 'de_DE', city: 'Berlin', postcode: '10115', state: '' }, 10],
  [{ code: 'CA', locale: 'en_CA', city: 'Toronto', postcode: 'M5H 2N2', state: 'ON' }, 8],
  [{ code: 'FR', locale: 'fr_FR', city: 'Lyon', postcode: '69001', state: '' }, 6],
  [{ code: 'AU', locale: 'en_AU', city: 'Sydney', postcode: '2000', state: 'NSW' }, 6],
  [{ code: 'NL', locale: 'nl_NL', city: 'Utrecht', postcode: '3511', state: '' }, 5],
  [{ code: 'IT', locale: 'it_IT', city: 'Milano', postcode: '20121', state: 'MI' }, 5],
  [{ code: 'ES', locale: 'es_ES', city: 'Sevilla', postcode: '41001', state: 'SE' }, 5],
];

export const STREETS = ['Birch Way', 'Riverside Drive', 'Main Street', 'Oak Avenue', 'Harbour Road', 'Mill Lane', 'Station Road', 'Elm Court'];

export interface CategorySpec {
  name: string;
  slug: string;
  products: string[];
  price: [number, number];
  /** Variation attribute and its values, for the variable products of this category. */
  attribute: [string, string[]];
}

export const CATEGORIES: CategorySpec[] = [
  {
    name: 'Coffee Beans', slug: 'coffee-beans', price: [12, 32], attribute: ['pa_weight', ['250g', '500g', '1kg']],
    products: ['Ethiopia Yirgacheffe', 'Colombia Huila', 'House Espresso Blend', 'Kenya AA Nyeri', 'Guatemala Antigua', 'Swiss Water Decaf', 'Brazil Cerrado', 'Sumatra Mandheling', "Roaster's Choice Sampler"],
  },
  {
    name: 'Tea', slug: 'tea', price: [8, 30], attribute: ['pa_size', ['50g', '100g']],
    products: ['Japanese Sencha', 'Darjeeling First Flush', 'Earl Grey Supreme', 'Chamomile Blossom', 'Moroccan Mint', 'Ceremonial Matcha', 'Masala Chai', 'Jin Xuan Milk Oolong'],
  },
  {
    name: 'Brewing Gear', slug: 'brewing-gear', price: [9, 420], attribute: ['pa_color', ['white', 'black']],
    products: ['Ceramic Pour-Over Dripper', 'Paper Filters (100 pack)', 'Gooseneck Kettle', 'Conical Burr Grinder', 'Hand Grinder', 'French Press 1L', 'Digital Brew Scale', 'Espresso Machine Pro', 'Cold Brew Maker'],
  },
  {
    name: 'Mugs &amp; Drinkware', slug: 'mugs-drinkware', price: [12, 40], attribute: ['pa_color', ['forest', 'sand', 'slate']],
    products: ['Stoneware Mug', 'Double-Wall Glass Cups (set of 2)', 'Insulated Travel Tumbler', 'Espresso Cup Set', 'Glass Teapot with Infuser', 'Latte Bowl', 'Porcelain Tea Cup & Saucer'],
  },
  {
    name: 'Gifts &amp; Accessories', slug: 'gifts-accessories', price: [15, 90], attribute: ['pa_color', ['natural', 'charcoal']],
    products: ['Gift Card $25', 'Gift Card $50', 'Coffee Lover Gift Box', 'Tea Tasting Gift Set', 'Handheld Milk Frother', 'Canvas Barista Apron', 'Home Barista Masterclass'],
  },
];

export const PAYMENT_METHODS: ReadonlyArray<readonly [[string, string], number]> = [
  [['stripe', 'Credit Card (Stripe)'], 55],
  [['ppcp-gateway', 'PayPal'], 20],
  [['bacs', 'Direct bank transfer'], 10],
  [['cod', 'Cash on delivery'], 8],
  [['cheque', 'Check payments'], 7],
];
